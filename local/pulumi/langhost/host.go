package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/blang/semver"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// Entry points inside the @pulumi/pulumi npm package, resolved from the program directory.
	runModule        = "@pulumi/pulumi/cmd/run"
	runPluginModule  = "@pulumi/pulumi/cmd/run-plugin"
	runPolicyModule  = "@pulumi/pulumi/cmd/run-policy-pack"
	runPathOverride  = "PULUMI_LANGUAGE_NODEJS_RUN_PATH"
	configEnv        = "PULUMI_CONFIG"
	configSecretsEnv = "PULUMI_CONFIG_SECRET_KEYS"
	// cmd/run exits with this code after it has already shown the user an actionable message.
	exitAfterUserMessage = 32
)

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string
	cancelCtx     context.Context
	cancel        context.CancelFunc
}

func newHost(engineAddress, tracing string) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{engineAddress: engineAddress, tracing: tracing, cancelCtx: ctx, cancel: cancel}
}

// options are the `runtime.options` of Pulumi.yaml that this host understands.
type options struct {
	typescript     bool
	tsconfig       string
	nodeargs       []string
	packagemanager npm.PackageManagerType
}

func parseOptions(info *pulumirpc.ProgramInfo) (options, error) {
	o := options{typescript: true, packagemanager: npm.AutoPackageManager}
	var raw map[string]any
	if info != nil && info.Options != nil {
		raw = info.Options.AsMap()
	}
	if v, ok := raw["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return o, errors.New("typescript option must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := raw["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("tsconfig option must be a string")
		}
		o.tsconfig = s
	}
	if v, ok := raw["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("nodeargs option must be a string")
		}
		args, err := splitArgs(s)
		if err != nil {
			return o, fmt.Errorf("nodeargs: %w", err)
		}
		o.nodeargs = args
	}
	if v, ok := raw["packagemanager"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("packagemanager option must be a string")
		}
		switch npm.PackageManagerType(s) {
		case npm.AutoPackageManager, npm.NpmPackageManager, npm.YarnPackageManager,
			npm.PnpmPackageManager, npm.BunPackageManager:
			o.packagemanager = npm.PackageManagerType(s)
		default:
			return o, fmt.Errorf("packagemanager option must be one of auto, npm, yarn, pnpm or bun, got %q", s)
		}
	}
	return o, nil
}

// splitArgs splits a command line on whitespace, honouring single and double quotes and
// backslash escapes (enough for `nodeargs: "--max-old-space-size=4096 --require x"`).
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inArg = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inArg = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}

// resolveModule asks node for the absolute path of a module, resolved from dir.
func resolveModule(ctx context.Context, nodeBin, dir, module, hint string) (string, error) {
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)); } catch (e) { `+
		`if (e.code === "MODULE_NOT_FOUND") { console.error(%q); } else { console.error(e.message); } process.exit(1); }`,
		module, "It looks like the Pulumi SDK has not been installed. Have you run "+hint+"?")
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", errors.New(strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.EngineAddress != "" && req.EngineAddress != h.engineAddress {
		h.engineAddress = req.EngineAddress
		hcCtx, stop := context.WithCancel(context.Background())
		if err := rpcutil.Healthcheck(hcCtx, h.engineAddress, 5*time.Minute, stop); err != nil {
			stop()
			return nil, fmt.Errorf("could not start health check: %w", err)
		}
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPlugins is deprecated; the engine falls back to GetRequiredPackages.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "use GetRequiredPackages")
}

// GetRequiredPackages lists every package under node_modules whose package.json has
// `"pulumi": {"resource": true}` (e.g. @pulumi/kubernetes -> resource plugin kubernetes vX).
func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	dir := ""
	if req.Info != nil {
		dir = req.Info.ProgramDirectory
	}
	s := &pkgScan{seen: map[string]bool{}, sdkVersions: map[string]semver.Version{}}
	if err := s.walk(dir, false); err != nil {
		logging.V(3).Infof("errors while discovering plugins: %v", err)
	}
	s.warnMixedSDKs()
	return &pulumirpc.GetRequiredPackagesResponse{Packages: s.packages}, nil
}

type pkgScan struct {
	seen        map[string]bool
	packages    []*pulumirpc.PackageDependency
	sdkVersions map[string]semver.Version // package.json path -> @pulumi/pulumi version
	errs        []error
}

type packageJSON struct {
	Name    string                  `json:"name"`
	Version string                  `json:"version"`
	Pulumi  plugin.PulumiPluginJSON `json:"pulumi"`
}

func (s *pkgScan) walk(dir string, inNodeModules bool) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if s.seen[dir] {
		return nil
	}
	s.seen[dir] = true
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err != nil {
				s.errs = append(s.errs, err)
				continue
			}
			isDir = fi.IsDir()
		}
		switch {
		case isDir:
			// Policy packs nested in the tree bring their own plugins: not program dependencies.
			if pp, err := workspace.DetectPolicyPackPathAt(p); err == nil && pp != "" {
				continue
			}
			if err := s.walk(p, inNodeModules || filepath.Base(dir) == "node_modules"); err != nil {
				s.errs = append(s.errs, err)
			}
		case inNodeModules && e.Name() == "package.json":
			s.readPackageJSON(p)
		}
	}
	return errors.Join(s.errs...)
}

func (s *pkgScan) readPackageJSON(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		s.errs = append(s.errs, err)
		return
	}
	var info packageJSON
	if err := json.Unmarshal(b, &info); err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s: %w", path, err))
		return
	}
	if info.Name == "@pulumi/pulumi" {
		if v, err := semver.Parse(info.Version); err == nil {
			s.sdkVersions[path] = v
		}
	}
	if !info.Pulumi.Resource {
		return
	}
	name := info.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(info.Name, "@pulumi/") {
			s.errs = append(s.errs, fmt.Errorf("%s: third-party package %q must set pulumi.name", path, info.Name))
			return
		}
		name = strings.TrimPrefix(info.Name, "@pulumi/")
	}
	ver := info.Pulumi.Version
	if ver == "" {
		ver = info.Version
	}
	if ver == "" {
		s.errs = append(s.errs, fmt.Errorf("%s: missing version", path))
		return
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	dep := &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: ver, Server: info.Pulumi.Server}
	if p := info.Pulumi.Parameterization; p != nil {
		dep.Parameterization = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	s.packages = append(s.packages, dep)
}

func (s *pkgScan) warnMixedSDKs() {
	var firstPath string
	var first semver.Version
	for p, v := range s.sdkVersions {
		if firstPath == "" {
			firstPath, first = p, v
			continue
		}
		if v.Major != first.Major {
			fmt.Fprintf(os.Stderr, "Found incompatible versions of @pulumi/pulumi.\n  Version %s referenced at %s\n"+
				"  Version %s referenced at %s\n", first, firstPath, v, p)
			return
		}
	}
}

// Run executes the program: node [nodeargs] <@pulumi/pulumi/cmd/run> <flags> <entrypoint> [args].
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.engineAddress == "" {
		return nil, errors.New("no engine address: Handshake must be called before Run")
	}
	info := req.GetInfo()
	if info == nil {
		return nil, errors.New("RunRequest without program info")
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runPath := os.Getenv(runPathOverride)
	if runPath == "" {
		runPath = runModule
	}
	runPath, err = resolveModule(ctx, nodeBin, info.ProgramDirectory, runPath, "pulumi install")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	flagArg := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress)
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("root-directory", info.RootDirectory)
	flagArg("stack", req.GetStack())
	flagArg("pwd", info.ProgramDirectory)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	entry := info.EntryPoint
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cfg, err := configJSON(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: "failed to serialize configuration: " + err.Error()}, nil
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env := append(os.Environ(), configEnv+"="+cfg, configSecretsEnv+"="+string(secretJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	// Stop the program on the Cancel RPC or when the request is abandoned.
	cmdCtx, cmdCancel := context.WithCancel(h.cancelCtx)
	defer cmdCancel()
	stopAfter := context.AfterFunc(ctx, cmdCancel)
	defer stopAfter()

	cmd := exec.CommandContext(cmdCtx, nodeBin, args...)
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = env
	// Node may switch its stdio to non-blocking mode; don't hand it our file descriptors.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	logging.V(5).Infof("langhost: running %s %s", nodeBin, strings.Join(args, " "))

	if err := cmd.Run(); err != nil {
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			switch code := ee.ExitCode(); code {
			case exitAfterUserMessage:
				return &pulumirpc.RunResponse{Bail: true}, nil
			case 0:
				return &pulumirpc.RunResponse{Error: "Program exited unexpectedly: " + err.Error()}, nil
			default:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
			}
		}
		return &pulumirpc.RunResponse{
			Error: "Problem executing program (could not run language executor): " + err.Error(),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// configJSON presents config keys in the legacy `<namespace>:config:<name>` form that every
// @pulumi/pulumi version understands.
func configJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// InstallDependencies runs the project's package manager (npm ci/install, yarn, pnpm) for
// `pulumi install` and `pulumi new`.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	info := req.GetInfo()
	if info == nil {
		return errors.New("InstallDependencies without program info")
	}
	opts, err := parseOptions(info)
	if err != nil {
		return err
	}
	root := info.ProgramDirectory
	if ws, err := npm.FindWorkspaceRoot(root); err == nil {
		fmt.Fprintf(stdout, "Detected workspace root at %s\n", ws)
		root = ws
	} else if !errors.Is(err, npm.ErrNotInWorkspace) {
		return fmt.Errorf("looking for a workspace root: %w", err)
	}
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	if _, err := npm.Install(server.Context(), opts.packagemanager, root, false, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) Template(context.Context, *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	return &pulumirpc.TemplateResponse{}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	resp := &pulumirpc.AboutResponse{Executable: nodeBin, Metadata: map[string]string{}}
	if out, err := exec.CommandContext(ctx, nodeBin, "--version").Output(); err == nil {
		resp.Version = strings.TrimSpace(string(out))
	}
	if opts, err := parseOptions(req.GetInfo()); err == nil && req.GetInfo() != nil {
		if pm, err := npm.ResolvePackageManager(opts.packagemanager, req.GetInfo().ProgramDirectory); err == nil {
			resp.Metadata["packagemanager"] = pm.Name()
			if v, err := pm.Version(); err == nil {
				resp.Metadata["packagemanagerVersion"] = v.String()
			}
		}
	}
	return resp, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return nil, errors.New("GetProgramDependencies without program info")
	}
	opts, err := parseOptions(info)
	if err != nil {
		return nil, err
	}
	pm, err := npm.ResolvePackageManager(opts.packagemanager, info.ProgramDirectory)
	if err != nil {
		return nil, err
	}
	pkgs, err := pm.ListPackages(ctx, info.ProgramDirectory, req.TransitiveDependencies)
	if err != nil {
		return nil, fmt.Errorf("failed to get node dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, len(pkgs))
	for i, p := range pkgs {
		deps[i] = &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// RunPlugin runs a plugin written in Node.js: a component/resource provider (PulumiPlugin.yaml)
// through @pulumi/pulumi/cmd/run-plugin, or a policy pack (PulumiPolicy.yaml, kind analyzer)
// through @pulumi/pulumi/cmd/run-policy-pack behind the SDK's policy proxy.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	info := req.GetInfo()
	if info == nil {
		return errors.New("RunPlugin without program info")
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	opts, err := parseOptions(info)
	if err != nil {
		return err
	}
	env := append([]string{}, req.Env...)
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	isPolicy := req.Kind == string(apitype.AnalyzerPlugin)
	module := runPluginModule
	if isPolicy {
		module = runPolicyModule
	} else if o := os.Getenv(runPathOverride); o != "" {
		module = o
	}
	runPath, err := resolveModule(ctx, nodeBin, info.ProgramDirectory, module, "npm install in "+info.ProgramDirectory)
	if err != nil {
		return err
	}
	args := []string{runPath}
	args = append(args, opts.nodeargs...)
	if isPolicy {
		args = append(args, req.Args...)
		args = append(args, info.ProgramDirectory)
	} else {
		args = append(args, info.ProgramDirectory)
		args = append(args, req.Args...)
	}

	var proxy *sdk.PolicyProxy
	if isPolicy {
		// The engine talks to the proxy; the proxy hands us the stack configuration first.
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		cfg, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if cfg != nil {
			add := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			add("PULUMI_NODEJS_ORGANIZATION", cfg.Organization)
			add("PULUMI_NODEJS_PROJECT", cfg.Project)
			add("PULUMI_NODEJS_STACK", cfg.Stack)
			add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(cfg.DryRun))
			if cfg.Config != nil {
				b, err := json.Marshal(cfg.Config)
				if err != nil {
					return err
				}
				add(configEnv, string(b))
			}
		}
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	if isPolicy {
		cmd.Dir = info.ProgramDirectory
	} else {
		cmd.Dir = req.Pwd
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	logging.V(5).Infof("langhost: running plugin %s %s", nodeBin, strings.Join(args, " "))

	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start plugin program: %w", err)
	}
	if proxy != nil {
		if err := proxy.Attach(ctx, cmd); err != nil {
			return fmt.Errorf("could not attach policy pack proxy: %w", err)
		}
		return nil
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("Program exited with non-zero exit code: %d", ee.ExitCode())
		}
		return err
	}
	return closer.Close()
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}
