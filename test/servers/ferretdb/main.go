// Command ferretdb-test serves the MongoDB wire protocol on loopback for the runtime's tests:
// FerretDB v1 embedded, with its SQLite backend in a directory the test owns. Built from the Go
// module proxy (no mongod can be installed here); see test/servers/mongo-server.ts.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (loopback only)")
	dir := flag.String("dir", "", "directory for the SQLite databases (required)")
	flag.Parse()

	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if !strings.HasPrefix(*listen, "127.0.0.1:") {
		log.Fatalf("-listen must be a 127.0.0.1 address, got %q", *listen)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + strings.TrimSuffix(*dir, "/") + "/",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// Readiness is observed by the test harness connecting to the port.
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}
