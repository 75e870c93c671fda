//! `podscale`: see the crate documentation of `podscale_controller`.

use std::process::ExitCode;

fn main() -> ExitCode {
    podscale_controller::cli::main()
}
