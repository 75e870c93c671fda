// Command etcd is upstream etcd's server, built from the pinned go.etcd.io/etcd/server/v3 module
// for the test control plane. It adds nothing: it is upstream's own main.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
