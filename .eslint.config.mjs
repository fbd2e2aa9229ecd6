// ESLint flat config (dot-named to keep the top level to what the design card names).
import tseslint from "typescript-eslint";

// ---------------------------------------------------------------------------------------------
// Layering (checked by test/unit/lint/layers.test.ts).
//
//   components/rollout/core/      pure: no Pulumi, no I/O, no config, no adapters/provider
//   components/rollout/adapters/  I/O; may import core
//   components/rollout/provider/  dynamic providers; may import core and adapters
//   components/*.ts, config/      may import core and provider, never adapters
//   policies/                     ships alone: nothing from components/
//   deployments/                  the release runner and the Deployments settings: talks to
//                                 Pulumi through the Automation API; from components/ only the
//                                 pure rollout/core (names, state types, a run's report)
//   nothing shipped imports local/ or test/ (test/** itself is exempt), and only deployments/
//   imports deployments/
//
// `group` entries use .gitignore semantics, matched against the raw import string:
//   - a pattern with a slash at the start or in the middle is anchored to the START of the
//     string, so "rollout/adapters" never matches "./rollout/adapters/kube"; hence "**/".
//   - a pattern without a slash matches ANY path segment, so a bare "fs" would also flag
//     "./fs" or "../lib/fs"; "/fs" anchors it to the bare module (and "fs/promises").
//   - "../**/config" matches "../config", "../../config", "../../config/index" (anything
//     reached by climbing out of the current folder) but not a sibling "./config".
//   - matching is case-insensitive by default.
// Flat config does not merge options of the same rule across blocks: the last matching block
// wins. So every layer block repeats NO_LOCAL_OR_TEST instead of relying on the catch-all.
// ---------------------------------------------------------------------------------------------

const NO_LOCAL_OR_TEST = {
    group: ["../**/local", "../**/test", "../**/deployments"],
    message:
        "Layer rule: shipped code (components/, policies/, index.ts, deployments/) must not import local/ or test/, and only deployments/ imports deployments/. Move the shared piece into the layer that ships it.",
};

const COMPONENT_FILES = ["../**/canaryApp", "../**/monitoringStack", "../**/ingressMonitor"];

const NODE_IO_BUILTINS = [
    "/fs",
    "/child_process",
    "/net",
    "/http",
    "/https",
    "/http2",
    "/os",
    "/process",
    "/worker_threads",
    "/dgram",
    "/tls",
    "/dns",
    "/readline",
    "node:*",
];

const layer = (...patterns) => ({
    "no-restricted-imports": ["error", { patterns: [...patterns, NO_LOCAL_OR_TEST] }],
});

const CORE_PURE_MESSAGE =
    "Layer rule: the core is pure. Inject I/O through the ports in core/types.ts; the adapter implementation lives in rollout/adapters.";

export default tseslint.config(
    { ignores: ["**/node_modules/**", "bin/**"] },
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
            ],
            "no-eval": "error",
            "no-new-func": "error",
        },
    },
    {
        // Mock inputs are untyped JSON by nature.
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },

    // --- layering: catch-all for anything under components/ (overridden per layer below) ---
    {
        files: ["components/**/*.ts"],
        rules: layer(),
    },
    {
        files: ["components/*.ts", "components/config/**/*.ts"],
        rules: layer({
            group: ["**/rollout/adapters"],
            message:
                "Layer rule: components and config reach adapters only through the providers. Import from rollout/provider, or move the pure piece (e.g. a constant) into rollout/core.",
        }),
    },
    {
        files: ["components/rollout/core/**/*.ts"],
        rules: {
            ...layer(
                {
                    group: ["@pulumi/*"],
                    allowTypeImports: false,
                    message:
                        "Layer rule: the core is pure and must not depend on Pulumi, not even for types. Keep Pulumi in rollout/provider and pass plain data into the core.",
                },
                {
                    group: ["/axios", "@kubernetes/client-node", ...NODE_IO_BUILTINS],
                    allowTypeImports: false,
                    message: CORE_PURE_MESSAGE,
                },
                {
                    group: ["../**/config"],
                    allowTypeImports: false,
                    message:
                        "Layer rule: the core must not import components/config. Take the values as plain arguments, or move the pure type into core/types.ts.",
                },
                {
                    group: [
                        "../**/adapters",
                        "../**/provider",
                        "**/rollout/adapters",
                        "**/rollout/provider",
                        ...COMPONENT_FILES,
                    ],
                    allowTypeImports: false,
                    message:
                        "Layer rule: the core is the innermost layer and must not import rollout/adapters, rollout/provider or the components. Depend on a port in core/types.ts; the provider wires the adapter in.",
                },
            ),
            // Close the back doors around no-restricted-imports.
            "no-restricted-syntax": [
                "error",
                {
                    selector: "ImportExpression",
                    message: `No dynamic import() in the core. ${CORE_PURE_MESSAGE}`,
                },
                {
                    selector: "CallExpression[callee.name='require']",
                    message: `No require() in the core. ${CORE_PURE_MESSAGE}`,
                },
                {
                    selector: "MemberExpression[object.name='require']",
                    message: `No require.* in the core. ${CORE_PURE_MESSAGE}`,
                },
                {
                    selector: "TSImportType",
                    message: `No import("...") types in the core; import types from ./types or another core module. ${CORE_PURE_MESSAGE}`,
                },
            ],
            "no-restricted-globals": [
                "error",
                { name: "process", message: `No process global in the core. ${CORE_PURE_MESSAGE}` },
            ],
        },
    },
    {
        files: ["components/rollout/adapters/**/*.ts"],
        rules: layer(
            {
                group: ["../**/provider", "**/rollout/provider"],
                message:
                    "Layer rule: adapters must not import rollout/provider (providers depend on adapters, not the reverse). Move the shared piece into rollout/core.",
            },
            {
                group: ["../**/config", ...COMPONENT_FILES],
                message:
                    "Layer rule: adapters must not import components/config or the component files. Take what you need as arguments typed with core/types.ts.",
            },
            {
                group: ["@pulumi/*"],
                message:
                    "Layer rule: adapters do plain I/O and must not depend on Pulumi. Pulumi belongs in rollout/provider.",
            },
        ),
    },
    {
        files: ["components/rollout/provider/**/*.ts", "components/rollout/cli/**/*.ts"],
        rules: layer(
            {
                group: ["../**/config"],
                message:
                    "Layer rule: providers must not import components/config. The component passes config values in as resource inputs; move shared pure types into core/types.ts.",
            },
            {
                group: COMPONENT_FILES,
                message:
                    "Layer rule: providers must not import the components (canaryApp, monitoringStack, ingressMonitor); the components depend on the providers, not the reverse.",
            },
        ),
    },
    {
        files: ["policies/**/*.ts"],
        rules: layer({
            group: ["**/components"],
            message:
                "Layer rule: the policy pack ships alone and must not import from components/. Copy the small piece into policies/lib.",
        }),
    },
    {
        files: ["deployments/**/*.ts"],
        rules: layer({
            group: [
                "**/components/config",
                "**/components/config/**",
                "**/rollout/adapters",
                "**/rollout/adapters/**",
                "**/rollout/provider",
                "**/rollout/provider/**",
                ...COMPONENT_FILES,
                "../index",
                "../../index",
            ],
            message:
                "Layer rule: deployments/ drives Pulumi through the Automation API and reads the engine's events; from components/ it may import only the pure rollout/core (shared names, types and renderings). Move the shared piece into rollout/core.",
        }),
    },
    {
        files: ["index.ts"],
        rules: {
            "no-restricted-imports": [
                "error",
                {
                    patterns: [
                        {
                            group: ["**/rollout/adapters"],
                            message:
                                "Layer rule: index.ts wires components and must not reach into rollout/adapters. Go through the components (and their providers).",
                        },
                    ],
                },
            ],
        },
    },
);
