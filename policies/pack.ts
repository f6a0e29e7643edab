/**
 * The agentstack policy pack's arguments: every policy, from the rule modules. No side effects:
 * `index.ts` hands this to `new PolicyPack(...)` for the Pulumi CLI, and the offline runner
 * (tools/policy) evaluates the very same policy objects.
 */
import type { PolicyPackArgs } from "@pulumi/policy";
import { AgentstackPolicy } from "./lib/define";
import { AVAILABILITY_POLICIES } from "./rules/availability";
import { EXPOSURE_POLICIES } from "./rules/exposure";
import { IDENTITY_POLICIES } from "./rules/identity";
import { NETWORK_POLICIES } from "./rules/network";
import { OBSERVABILITY_POLICIES } from "./rules/observability";
import { POD_POLICIES } from "./rules/pod";
import { SECRETS_POLICIES } from "./rules/secrets";
import { STATEFUL_POLICIES } from "./rules/stateful";
import { ZEROTRUST_POLICIES } from "./rules/zerotrust";

/** The pack's name (also the `pulumi preview --policy-pack` report name). */
export const PACK_NAME = "agentstack";

/** Every policy of the pack, in documentation order. */
export const POLICIES: readonly AgentstackPolicy[] = [
    ...POD_POLICIES,
    ...SECRETS_POLICIES,
    ...AVAILABILITY_POLICIES,
    ...ZEROTRUST_POLICIES,
    ...NETWORK_POLICIES,
    ...EXPOSURE_POLICIES,
    ...IDENTITY_POLICIES,
    ...STATEFUL_POLICIES,
    ...OBSERVABILITY_POLICIES,
];

/** The PolicyPack arguments. Every policy defaults to mandatory; the pack config sets the environment's levels. */
export const PACK_ARGS: PolicyPackArgs = {
    description:
        "agentstack production checklist: pod hardening, secrets, availability, zero trust, network, exposure, identity and stateful data, per security level.",
    displayName: "agentstack security levels",
    enforcementLevel: "mandatory",
    policies: [...POLICIES],
};
