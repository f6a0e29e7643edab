/**
 * The three outputs of `npm run diff`: text for a terminal, Markdown for a pull-request comment, JSON
 * for tools. Values are shown as compact JSON, long ones shortened; secret values never reach this
 * point (they are "[secret]" in the trees).
 */
import { publicChanges, shortUrn } from "./compare";
import { DiffWarning, FieldChange, ObjectDiff, PolicyViolation, ResourceDiff, StackDiff } from "./types";

const MAX_VALUE = 160;

/** A value for a report line. */
function showValue(v: unknown, max = MAX_VALUE): string {
    if (v === undefined) return "(absent)";
    const s = JSON.stringify(v) ?? String(v);
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const SIGN: Record<ObjectDiff["action"], string> = { add: "+", remove: "-", update: "~", replace: "!" };

function objectTitle(o: ObjectDiff): string {
    return `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;
}

function changeLine(c: FieldChange): string {
    if (c.secret) return `${c.path}: ${c.secret} (secret: no value shown)`;
    if (!("before" in c)) return `${c.path}: (added) ${showValue(c.after)}`;
    if (!("after" in c)) return `${c.path}: (removed, was ${showValue(c.before)})`;
    return `${c.path}: ${showValue(c.before)} → ${showValue(c.after)}`;
}

function violationLine(v: PolicyViolation): string {
    const r = v.resource;
    const subject = `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
    // The pack's messages name their resource; say it only when the message does not.
    return `[${v.enforcement}] ${v.policy}: ${v.message.includes(r.name) ? "" : `${subject}: `}${v.message}`;
}

/** One line saying what a stack's diff amounts to. */
function summaryLine(d: StackDiff): string {
    if (d.noChanges) return "no changes";
    const s = d.summary;
    const parts: string[] = [];
    if (s.added) parts.push(`${s.added} added`);
    if (s.updated) parts.push(`${s.updated} updated`);
    if (s.replaced) parts.push(`${s.replaced} REPLACED${s.dataLoss ? ` (${s.dataLoss} with DATA LOSS)` : ""}`);
    else if (s.dataLoss) parts.push(`${s.dataLoss} with DATA LOSS`);
    if (s.removed) parts.push(`${s.removed} removed`);
    if (s.resources) parts.push(`${s.resources} other resource change${s.resources === 1 ? "" : "s"}`);
    if (s.options) parts.push(`${s.options} option change${s.options === 1 ? "" : "s"}`);
    if (s.policyIntroduced || s.policyResolved) {
        parts.push(
            `policy: ${s.policyIntroduced} new violation${s.policyIntroduced === 1 ? "" : "s"}${s.policyIntroducedMandatory ? ` (${s.policyIntroducedMandatory} mandatory)` : ""}, ${s.policyResolved} resolved`,
        );
    }
    return parts.join(", ");
}

function sideText(d: StackDiff): string {
    const side = (s: StackDiff["base"]) =>
        `${s.label}${s.commit ? ` (${s.commit.slice(0, 12)})` : ""}${s.emptyBecause ? ` [empty: ${s.emptyBecause}]` : ""}`;
    return `${side(d.base)} → ${side(d.head)}`;
}

function warningText(w: DiffWarning): string {
    const tag = {
        refuse: "PULUMI UP WILL REFUSE",
        "data-loss": "DATA LOSS",
        replace: "REPLACE",
        protect: "PROTECT",
        regenerate: "REGENERATED",
        note: "NOTE",
    }[w.severity];
    return `!! ${tag}: ${w.subject} ${w.message}`;
}

/** The body lines of a stack's diff (no header), shared by text and Markdown. */
function bodyLines(d: StackDiff): string[] {
    const out: string[] = [];
    if (d.objects.length > 0) {
        out.push("Kubernetes objects:");
        for (const o of d.objects) {
            const tags = [
                o.action === "replace" ? "REPLACE" : "",
                o.deleteFirst ? "deleted first" : "",
                o.dataLoss ? "DATA LOSS" : "",
                o.protected && o.action !== "update" && o.action !== "add" ? "protected: pulumi up will refuse" : "",
                o.retained ? "retained in the cluster (retainOnDelete)" : "",
            ].filter(Boolean);
            out.push(`${SIGN[o.action]} ${objectTitle(o)}${tags.length ? `  [${tags.join(", ")}]` : ""}`);
            if (o.renamedFrom)
                out.push(
                    `    renamed in Pulumi with an alias (was ${shortUrn(o.renamedFrom)}): the same object, not replaced`,
                );
            for (const r of o.replaceReasons) out.push(`    because ${r}`);
            for (const c of o.changes) out.push(`    ${changeLine(c)}`);
            if (o.ignored)
                out.push(`    (${o.ignored} change${o.ignored === 1 ? "" : "s"} not applied: ignoreChanges)`);
        }
    }
    if (d.resources.length > 0) {
        out.push("Other Pulumi resources:");
        for (const r of d.resources) out.push(...resourceLines(r));
    }
    if (d.options.length > 0) {
        out.push("Resource options:");
        for (const c of d.options)
            out.push(
                `~ ${c.object ?? `${c.type} ${c.name}`}: ${c.option} ${showValue(c.before)} → ${showValue(c.after)}`,
            );
    }
    const p = d.policy;
    if (p.evaluated) {
        out.push(
            `Policy verdicts (level ${p.level}, from ${p.levelSource}): ${p.introduced.length} new, ${p.resolved.length} resolved`,
        );
        for (const v of p.introduced) out.push(`+ ${violationLine(v)}`);
        for (const v of p.resolved) out.push(`- ${violationLine(v)}`);
    } else if (p.note) {
        out.push(`Policy verdicts: ${p.note}`);
    }
    return out;
}

function resourceLines(r: ResourceDiff): string[] {
    const out = [`${SIGN[r.action]} ${r.type} ${r.name}${r.action === "replace" ? "  [REPLACE]" : ""}`];
    for (const x of r.replaceReasons) out.push(`    because ${x}`);
    for (const c of r.changes) out.push(`    ${changeLine(c)}`);
    return out;
}

/** Plain text, one block per stack. */
export function renderText(diffs: readonly StackDiff[]): string {
    const out: string[] = [];
    for (const d of diffs) {
        out.push(`stack ${d.stack}: ${summaryLine(d)}`);
        out.push(`  ${sideText(d)}`);
        if (!d.noChanges || d.warnings.length > 0) {
            for (const w of d.warnings) out.push(warningText(w));
            out.push(...bodyLines(d));
        }
        out.push("");
    }
    return out.join("\n");
}

/** Keeps text safe inside a fenced code block. */
function fenceSafe(s: string): string {
    return s.replace(/```/g, "`\u200b``");
}

/** Keeps text safe in Markdown prose and tables. */
function mdEscape(s: string): string {
    return s.replace(/[|<>]/g, (c) => ({ "|": "\\|", "<": "&lt;", ">": "&gt;" })[c]!);
}

function code(s: string): string {
    return `\`${s.replace(/`/g, "ˋ")}\``;
}

/** Default size budget: GitHub takes 65,536 characters per comment; the review workflow adds the policy reports. */
const MD_LIMIT = 40_000;

/**
 * A ready pull-request comment: the warnings first (data loss, replacements), a summary table with a
 * row per stack, then each stack's details in a collapsible block. Stays within `limit` characters
 * (default 40,000, leaving room in a 65,536-character comment for the policy reports) by shortening the
 * details, never the warnings or the table.
 */
export function renderMarkdown(diffs: readonly StackDiff[], opts: { title?: string; limit?: number } = {}): string {
    const out: string[] = [`### ${opts.title ?? "Offline stack diff"}`, ""];
    const all = diffs.flatMap((d) => d.warnings.map((w) => ({ stack: d.stack, w })));
    const block = (kind: string, heading: string, items: typeof all) => {
        if (items.length === 0) return;
        out.push(`> [!${kind}]`, `> ${heading}`);
        for (const { stack, w } of items)
            out.push(`> - **${mdEscape(stack)}**: ${code(w.subject)} ${mdEscape(w.message)}`);
        out.push("");
    };
    block(
        "CAUTION",
        "**`pulumi up` will refuse**: these changes replace or delete protected resources.",
        all.filter((x) => x.w.severity === "refuse"),
    );
    block(
        "CAUTION",
        "**Data loss**: these changes delete objects that hold data.",
        all.filter((x) => x.w.severity === "data-loss"),
    );
    block(
        "WARNING",
        "**Replacements**: Kubernetes cannot apply these changes in place; the objects are deleted and created again.",
        all.filter((x) => x.w.severity === "replace"),
    );
    block(
        "WARNING",
        "**Protection and generated values**",
        all.filter((x) => x.w.severity === "protect" || x.w.severity === "regenerate"),
    );
    block(
        "NOTE",
        "**Notes**",
        all.filter((x) => x.w.severity === "note"),
    );

    if (diffs.every((d) => d.noChanges)) {
        out.push(
            `**No changes** in ${diffs.map((d) => code(d.stack)).join(", ")}: the rendered Kubernetes objects, Pulumi resources and policy verdicts are identical.`,
            "",
        );
    }
    out.push(
        "| stack | added | updated | replaced | removed | other | policy: new / resolved | |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    );
    for (const d of diffs) {
        const s = d.summary;
        const replaced = s.replaced ? `**${s.replaced}**${s.dataLoss ? " ⚠️" : ""}` : "0";
        const policy = d.policy.evaluated
            ? `${s.policyIntroduced}${s.policyIntroducedMandatory ? ` (**${s.policyIntroducedMandatory} mandatory**)` : ""} / ${s.policyResolved}`
            : "not evaluated";
        const refused = d.warnings.some((w) => w.severity === "refuse");
        const status = d.noChanges
            ? "no changes"
            : refused
              ? "**pulumi up will refuse**"
              : s.dataLoss
                ? "**data loss**"
                : s.replaced
                  ? "**replace**"
                  : "";
        out.push(
            `| ${code(d.stack)} | ${s.added} | ${s.updated} | ${replaced} | ${s.removed} | ${s.resources + s.options} | ${policy} | ${status} |`,
        );
    }
    out.push("");
    const fixed = out.join("\n");
    const limit = opts.limit ?? MD_LIMIT;
    const changed = diffs.filter((d) => !d.noChanges);
    const budget = Math.max(500, Math.floor((limit - fixed.length - 400) / Math.max(1, changed.length)));
    const details: string[] = [];
    for (const d of changed) {
        let body = fenceSafe(bodyLines(d).join("\n"));
        if (body.length > budget) {
            body = `${body.slice(0, budget - 120)}\n… (shortened to fit a comment: run \`npm run diff -- --stack ${d.stack}\` for the whole diff)`;
        }
        details.push(
            `<details${d.summary.dataLoss || d.summary.replaced ? " open" : ""}><summary><b>${mdEscape(d.stack)}</b>: ${mdEscape(summaryLine(d))}</summary>`,
            "",
            `${mdEscape(sideText(d))}`,
            "",
            "```diff",
            body,
            "```",
            "</details>",
            "",
        );
    }
    const sides = diffs[0]
        ? `Base ${code(diffs[0].base.label)}${diffs[0].base.commit ? ` (${code(diffs[0].base.commit.slice(0, 12))})` : ""} → head ${code(diffs[0].head.label)}${diffs[0].head.commit ? ` (${code(diffs[0].head.commit.slice(0, 12))})` : ""}. `
        : "";
    const foot = `<sub>${sides}Rendered offline by \`npm run diff\` with the synth harness (no cluster, no Pulumi CLI); secret values are never shown. \`!\` = replace, \`~\` = in-place update.</sub>`;
    return `${fixed}\n${details.join("\n")}${foot}\n`;
}

/** JSON: every stack's diff, without internal fields. */
export function renderJson(diffs: readonly StackDiff[]): string {
    const stacks = diffs.map((d) => ({
        ...d,
        objects: d.objects.map((o) => ({ ...o, changes: publicChanges(o.changes) })),
        resources: d.resources.map((r) => ({ ...r, changes: publicChanges(r.changes) })),
    }));
    return `${JSON.stringify({ version: 1, stacks }, null, 2)}\n`;
}
