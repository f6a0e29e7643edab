/**
 * The bench's large platform: the prod stack file with its agents and MCP servers multiplied — 50
 * agents and 50 MCP servers by default — everything else (level, gateway, data stores, LLM) as prod
 * has it. Agent i uses MCP servers i and i+1; each takes its fields from the prod entry it is cut from.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

type Entry = Record<string, unknown>;

const pad = (i: number) => String(i).padStart(2, "0");

/** The stack file text: `stackFile` with `agents` agents and `mcpServers` MCP servers. */
function scaledStack(stackFile: string, agents = 50, mcpServers = 50): string {
    const doc = YAML.parse(fs.readFileSync(stackFile, "utf8")) as { config: Record<string, unknown> };
    const config = doc.config;
    const prodAgents = (config["agentstack:agents"] ?? []) as Entry[];
    const prodServers = (config["agentstack:mcpServers"] ?? []) as Entry[];
    if (prodAgents.length === 0 || prodServers.length === 0)
        throw new Error(`${stackFile} has no agents or no MCP servers to multiply`);
    const serverName = (i: number) => `tools-${pad(i % mcpServers)}`;
    config["agentstack:mcpServers"] = Array.from({ length: mcpServers }, (_, i) => {
        const from = prodServers[i % prodServers.length]!;
        return {
            ...from,
            name: serverName(i),
            ...(typeof from["image"] === "string" ? { image: from["image"].replace(/:[^:/]+$/, `-${pad(i)}$&`) } : {}),
        };
    });
    config["agentstack:agents"] = Array.from({ length: agents }, (_, i) => {
        const from = prodAgents[i % prodAgents.length]!;
        return {
            ...from,
            name: `agent-${pad(i)}`,
            ...(typeof from["image"] === "string" ? { image: from["image"].replace(/:[^:/]+$/, `-${pad(i)}$&`) } : {}),
            mcpServers: [...new Set([serverName(i), serverName(i + 1)])],
        };
    });
    return YAML.stringify(doc, { lineWidth: 0 });
}

/** Writes the scaled stack file into `dir` and returns its path. */
export function writeScaledStack(projectDir: string, dir: string, agents = 50, mcpServers = 50): string {
    const file = path.join(dir, `Pulumi.prod-${agents}x${mcpServers}.yaml`);
    fs.writeFileSync(file, scaledStack(path.join(projectDir, "Pulumi.prod.yaml"), agents, mcpServers));
    return file;
}
