/**
 * No unused exports: every name a module of ours exports is imported by another file (the program,
 * the pack, the tools or the tests). ESLint covers unused imports and variables within a file; this
 * covers what crosses files, with the TypeScript checker resolving every import to its declaration.
 * Entry points whose exports are read by a runtime rather than imported are listed in ENTRY_EXPORTS.
 */
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../tools/harness/stackConfig";

/**
 * Exports read by a runtime, not by an import: Pulumi runs index.ts's default export; the policy
 * analyzer loads policies/index.ts; tools/launch.cjs requires the CLI bundle built from tools/main.ts.
 */
const ENTRY_EXPORTS = new Set([
    "index.ts:default",
    "policies/index.ts:default",
    "vitest.config.ts:default",
    "tools/main.ts:run",
    "tools/main.ts:isTool",
    "tools/main.ts:TOOLS",
    "tools/main.ts:ToolName",
]);
const OURS = /^(lib|stacks|components|policies|tools|injector)\/|^(index|program)\.ts$/;

function program(): ts.Program {
    const configPath = path.join(PROJECT_DIR, "tsconfig.json");
    const cfg = ts.getParsedCommandLineOfConfigFile(
        configPath,
        {},
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    )!;
    return ts.createProgram({ rootNames: cfg.fileNames, options: { ...cfg.options, noEmit: true } });
}

describe("exports", () => {
    it("are each imported somewhere (no dead API)", () => {
        const prog = program();
        const checker = prog.getTypeChecker();
        const files = prog.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes("node_modules"));
        const rel = (f: ts.SourceFile) => path.relative(PROJECT_DIR, f.fileName).split(path.sep).join("/");
        const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);

        // Every symbol some file imports or re-exports from another file.
        const used = new Set<ts.Symbol>();
        for (const f of files) {
            const visit = (n: ts.Node): void => {
                if (
                    ts.isImportSpecifier(n) ||
                    ts.isExportSpecifier(n) ||
                    ts.isImportClause(n) ||
                    ts.isNamespaceImport(n)
                ) {
                    const sym = checker.getSymbolAtLocation(n.name ?? (n as any));
                    if (sym) {
                        const target = resolve(sym);
                        used.add(target);
                        // `import * as x` uses every export it touches: count the module's members read through it.
                        if (ts.isNamespaceImport(n))
                            for (const e of checker.getExportsOfModule(target)) used.add(resolve(e));
                    }
                }
                // `await import("./x")` (modules loaded late, e.g. after the mocks are set): every export counts.
                if (
                    ts.isCallExpression(n) &&
                    n.expression.kind === ts.SyntaxKind.ImportKeyword &&
                    n.arguments[0] &&
                    ts.isStringLiteral(n.arguments[0])
                ) {
                    const mod = checker.getSymbolAtLocation(n.arguments[0]);
                    if (mod) for (const e of checker.getExportsOfModule(mod)) used.add(resolve(e));
                }
                if (ts.isExportDeclaration(n) && !n.exportClause && n.moduleSpecifier) {
                    const mod = checker.getSymbolAtLocation(n.moduleSpecifier);
                    if (mod) for (const e of checker.getExportsOfModule(mod)) used.add(resolve(e));
                }
                ts.forEachChild(n, visit);
            };
            visit(f);
        }

        const unused: string[] = [];
        for (const f of files) {
            const name = rel(f);
            if (!OURS.test(name)) continue;
            const mod = checker.getSymbolAtLocation(f);
            if (!mod) continue;
            for (const e of checker.getExportsOfModule(mod)) {
                if (ENTRY_EXPORTS.has(`${name}:${e.name}`)) continue;
                if (!used.has(resolve(e))) unused.push(`${name}: ${e.name}`);
            }
        }
        expect(unused).toEqual([]);
        expect(files.length).toBeGreaterThan(100);
    }, 120_000);
});
