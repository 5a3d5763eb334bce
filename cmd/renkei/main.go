// Command renkei runs the Renkei platform and administers it from the command line.
package main

import (
	"os"

	"github.com/renkei-dev/renkei/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
