// Starts the policy pack the way the Pulumi CLI's Node.js language host does for
// `pulumi preview --policy-pack policies` (RunPlugin, kind analyzer): `node
// <@pulumi/pulumi/cmd/run-policy-pack resolved from policies/> <engine> <policies dir>` with the
// pack directory as working directory; the pack prints its gRPC port on stdout. Then talks to it
// over the Analyzer protocol, as the engine does.
import { ChildProcess, spawn } from "child_process";
import { createRequire } from "module";
import * as path from "path";
import type * as grpcTypes from "@grpc/grpc-js";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { ROOT } from "./stackConfig";

export const PACK_DIR = path.join(ROOT, "policies");

// grpc-js and google-protobuf exactly as @pulumi/pulumi's generated code loads them.
const fromPulumi = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = fromPulumi("@grpc/grpc-js") as typeof grpcTypes;
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb");

export interface Diagnostic {
    policy: string;
    message: string;
    enforcementLevel: string;
}

const LEVELS: Record<number, string> = {
    [analyzerPb.EnforcementLevel.ADVISORY]: "advisory",
    [analyzerPb.EnforcementLevel.MANDATORY]: "mandatory",
    [analyzerPb.EnforcementLevel.DISABLED]: "disabled",
    [analyzerPb.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_OF: Record<string, analyzerPb.EnforcementLevel> = {
    advisory: analyzerPb.EnforcementLevel.ADVISORY,
    mandatory: analyzerPb.EnforcementLevel.MANDATORY,
    disabled: analyzerPb.EnforcementLevel.DISABLED,
};

function call<Req, Res>(
    fn: (req: Req, cb: (e: grpcTypes.ServiceError | null, res: Res) => void) => unknown,
    req: Req,
): Promise<Res> {
    return new Promise((resolve, reject) => fn(req, (e, res) => (e ? reject(e) : resolve(res))));
}

export class ServedPack {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: analyzerRpc.AnalyzerClient,
        readonly stderr: () => string,
    ) {}

    /** Starts the pack; resolves once it listens. */
    static async start(timeoutMs = 60_000): Promise<ServedPack> {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", {
            paths: [PACK_DIR],
        });
        const child = spawn(process.execPath, [runner, "127.0.0.1:1", PACK_DIR], {
            cwd: PACK_DIR,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stderr!.on("data", (d) => (err += d));
        const port = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => {
                child.kill();
                reject(new Error(`the pack did not print its port in ${timeoutMs}ms:\n${err}`));
            }, timeoutMs);
            child.stdout!.on("data", (d) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`the pack exited with ${code} before listening:\n${err}`));
            });
        });
        const client = new analyzerRpc.AnalyzerClient(
            `127.0.0.1:${port}`,
            grpc.credentials.createInsecure(),
        );
        return new ServedPack(child, client, () => err);
    }

    async info(): Promise<{ name: string; policies: { name: string; level: string }[] }> {
        const info = await call<unknown, analyzerPb.AnalyzerInfo>(
            this.client.getAnalyzerInfo.bind(this.client) as never,
            new Empty(),
        );
        return {
            name: info.getName(),
            policies: info.getPoliciesList().map((p) => ({
                name: p.getName(),
                level: LEVELS[p.getEnforcementlevel()],
            })),
        };
    }

    /** Sends the policy config as the engine does after reconciling a --policy-pack-config file. */
    async configure(levels: Record<string, string>): Promise<void> {
        const req = new analyzerPb.ConfigureAnalyzerRequest();
        for (const [name, level] of Object.entries(levels)) {
            const c = new analyzerPb.PolicyConfig();
            c.setEnforcementlevel(LEVEL_OF[level]);
            c.setProperties(Struct.fromJavaScript({}));
            req.getPolicyconfigMap().set(name, c);
        }
        await call(this.client.configure.bind(this.client) as never, req);
    }

    /** Analyzes one resource's inputs; returns the diagnostics. */
    async analyze(
        type: string,
        name: string,
        props: Record<string, unknown>,
    ): Promise<Diagnostic[]> {
        const req = new analyzerPb.AnalyzeRequest();
        req.setType(type);
        req.setName(name);
        req.setUrn(`urn:pulumi:test::progressive-delivery::${type}::${name}`);
        req.setProperties(Struct.fromJavaScript(props));
        req.setOptions(new analyzerPb.AnalyzerResourceOptions());
        const res = await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(
            this.client.analyze.bind(this.client) as never,
            req,
        );
        return res.getDiagnosticsList().map((d) => ({
            policy: d.getPolicyname(),
            message: d.getMessage(),
            enforcementLevel: LEVELS[d.getEnforcementlevel()],
        }));
    }

    async stop(): Promise<void> {
        this.client.close();
        if (this.child.exitCode === null) {
            const exited = new Promise((r) => this.child.once("exit", r));
            this.child.kill();
            await exited;
        }
    }
}
