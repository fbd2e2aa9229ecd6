// Command pulumi-language-nodejs is a minimal Node.js language host for the Pulumi CLI.
//
// The upstream host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is not served by the Go module proxy available to this project, so this small host is
// built instead, on the served github.com/pulumi/pulumi/sdk/v3. It implements the parts of
// the LanguageRuntime gRPC service that `pulumi preview/up/destroy/refresh/install/about`
// and policy packs use, and runs programs through the @pulumi/pulumi package's own
// `cmd/run` entry point (resolved from the program directory), exactly like upstream:
//
//	node [nodeargs] <@pulumi/pulumi/cmd/run> --monitor ADDR --engine ADDR --project P
//	     --root-directory DIR --stack S --pwd DIR [--dry-run] --parallel N [--organization O]
//	     [--tracing URL] <entrypoint> [args...]
//
// with PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS and (for TypeScript) PULUMI_NODEJS_TYPESCRIPT
// in the environment.
//
// Deliberate differences from upstream: no monitor proxy and no synchronous-invoke pipes
// (`--sync`, only used by the long-deprecated synchronous invoke API), no program code
// generation (GenerateProgram/GenerateProject/GeneratePackage/Pack/Link: `pulumi convert`,
// `pulumi package gen-sdk`), no debugger attach, no bun runtime, no fnm node-version switching.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

func main() {
	var tracing string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	var runtimeName string
	flag.StringVar(&runtimeName, "runtime", "nodejs", "JavaScript runtime; only `nodejs` is supported")
	showVersion := flag.Bool("version", false, "Print the plugin version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Version)
		os.Exit(0)
	}
	if runtimeName != "nodejs" {
		cmdutil.Exit(fmt.Errorf("unsupported runtime %q: this host supports only nodejs", runtimeName))
	}

	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-nodejs", "pulumi-language-nodejs", tracing)

	// The engine passes its own address as the only positional argument.
	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelServer := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancelServer)
	}()

	// Exit when the engine goes away.
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check: %w", err))
		}
	}

	host := newHost(engineAddress, tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelServer,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}

	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}
