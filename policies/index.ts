// Entry point of the policy pack: `pulumi preview --policy-pack policies` (or Pulumi Cloud) runs
// this module, and PolicyPack starts the analyzer's gRPC server. The policies are in pack.ts,
// one per module.
import * as fs from "fs";
import * as path from "path";
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, packArgs } from "./pack";

const readmePath = path.join(__dirname, "README.md");
new PolicyPack(
    PACK_NAME,
    packArgs(fs.existsSync(readmePath) ? fs.readFileSync(readmePath, "utf8") : undefined),
);
