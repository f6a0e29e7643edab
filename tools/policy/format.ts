/**
 * Output of `npm run policy`: text for people, JSON for tools, SARIF 2.1.0 for code-scanning UIs.
 */
import * as path from "path";
import { POLICIES } from "../../policies/pack";
import { GROUP_TITLES, metaOf } from "../../policies/lib/define";
import { Evaluation, Violation } from "./run";

/** `Kind namespace/name` of a violation's resource. */
function resourceText(r: Violation["resource"]): string {
    return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}

/** The text report. */
export function formatText(e: Evaluation): string {
    const lines: string[] = [];
    for (const v of e.violations) {
        lines.push(
            `${v.enforcement === "mandatory" ? "MANDATORY" : "advisory "} ${v.policy} (level ${v.level}) ${resourceText(v.resource)}`,
        );
        lines.push(`    ${v.message}`);
    }
    for (const r of e.remediations)
        lines.push(`remediated  ${r.policyName} ${r.urn}${r.diagnostic ? `: ${r.diagnostic}` : ""}`);
    const mandatory = e.violations.filter((v) => v.enforcement === "mandatory").length;
    const advisory = e.violations.length - mandatory;
    if (e.unknownConfigKeys.length > 0)
        lines.push(
            `note: the pack config names no policy called ${e.unknownConfigKeys.join(", ")} (ignored, as the Pulumi CLI does)`,
        );
    lines.push(
        `policy: ${mandatory} mandatory, ${advisory} advisory violation${e.violations.length === 1 ? "" : "s"} (required level ${e.requiredLevel}; pack config: ${e.configSource})`,
    );
    return `${lines.join("\n")}\n`;
}

/** The JSON report: the array of violations of the `npm run policy` contract. */
export function formatJson(e: Evaluation): string {
    return `${JSON.stringify(e.violations, null, 2)}\n`;
}

const PACK_VERSION: string = (require("../../policies/package.json") as { version: string }).version;

function uri(file: string): string {
    const rel = path.relative(process.cwd(), file);
    return (rel.startsWith("..") || path.isAbsolute(rel) ? path.resolve(file) : rel).split(path.sep).join("/");
}

/** A SARIF 2.1.0 log of the evaluation. */
export function toSarif(e: Evaluation): Record<string, unknown> {
    const rules = POLICIES.map((p) => {
        const m = metaOf(p);
        return {
            id: m.name,
            name: m.name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase()),
            shortDescription: { text: m.description },
            fullDescription: {
                text: `${GROUP_TITLES[m.group]}, level ${m.level}${m.advisoryOnly ? " (advisory at every level)" : ""}: ${m.description}`,
            },
            help: { text: m.fix },
            defaultConfiguration: { level: m.advisoryOnly ? "warning" : "error" },
            properties: {
                tags: ["security", "kubernetes", m.group, `level-${m.level}`],
                securityLevel: m.level,
                group: m.group,
            },
        };
    });
    const index = new Map(rules.map((r, i) => [r.id, i]));
    const results = e.violations.map((v, i) => {
        const file = e.files[i] ?? e.stackConfigFile;
        const fqn = v.resource.namespace
            ? `${v.resource.kind}/${v.resource.namespace}/${v.resource.name}`
            : `${v.resource.kind}/${v.resource.name}`;
        return {
            ruleId: v.policy,
            ...(index.has(v.policy) ? { ruleIndex: index.get(v.policy)! } : {}),
            level: v.enforcement === "mandatory" ? "error" : "warning",
            message: { text: v.message },
            locations: [
                {
                    ...(file ? { physicalLocation: { artifactLocation: { uri: uri(file) } } } : {}),
                    logicalLocations: [{ name: v.resource.name, fullyQualifiedName: fqn, kind: "resource" }],
                },
            ],
            properties: { enforcement: v.enforcement, securityLevel: v.level, requiredLevel: e.requiredLevel },
        };
    });
    return {
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [
            {
                tool: {
                    driver: { name: "agentstack-policy", version: PACK_VERSION, semanticVersion: PACK_VERSION, rules },
                },
                invocations: [{ executionSuccessful: true }],
                results,
                properties: { requiredLevel: e.requiredLevel, packConfig: e.configSource },
            },
        ],
    };
}

/** The SARIF report as text. */
export function formatSarif(e: Evaluation): string {
    return `${JSON.stringify(toSarif(e), null, 2)}\n`;
}
