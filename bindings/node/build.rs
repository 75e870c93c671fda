// napi-build sets what a Node addon links with (on macOS, Node's symbols resolved at load).
fn main() {
    napi_build::setup();
}
