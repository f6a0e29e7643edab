/**
 * Regenerates policies/config/<env>.json from the policy list (levels, enforcement, flags), keeping
 * the exemptions each file lists. Run after adding or changing a policy:
 *   npx tsx tools/policy/write-configs.ts
 * test/policy-config.test.ts fails while a file is out of date.
 */
import * as fs from "fs";
import { POLICIES } from "../../policies/pack";
import { ENVIRONMENT_CONFIG, environmentConfig, loadPackConfig } from "./config";
import { packConfigFile } from "./run";

for (const env of Object.keys(ENVIRONMENT_CONFIG)) {
    const file = packConfigFile(env);
    const existing = fs.existsSync(file) ? loadPackConfig(file) : {};
    fs.writeFileSync(file, `${JSON.stringify(environmentConfig(POLICIES, env, existing), null, 2)}\n`);
    process.stdout.write(`wrote ${file}\n`);
}
