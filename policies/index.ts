// The Pulumi CLI's entry point of the pack: it only constructs the PolicyPack (which starts the
// analyzer server the CLI talks to). The policies live in ./rules; ./pack.ts lists them.
import { PolicyPack } from "@pulumi/policy";
import { PACK_ARGS, PACK_NAME } from "./pack";

new PolicyPack(PACK_NAME, PACK_ARGS);
