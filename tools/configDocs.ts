// Pulumi.yaml's config block and the README's table of stack config keys, written from the
// settings table so that neither can differ from it (unit tests compare them).
// Usage: npm run docs:config, after adding or changing a row of components/settingsTable.ts.
import * as fs from "fs";
import * as yaml from "js-yaml";

import { Setting, settingsTable } from "../components/settingsTable";

const settings: readonly Setting[] = settingsTable;
const start =
    "<!-- config table: written by `npm run docs:config` from components/settingsTable.ts -->";
const end = "<!-- end of config table -->";

function defaultCell(setting: Setting): string {
    if (setting.default === setting.notSet) return setting.notSetMeans ?? "none";
    return (
        "`" +
        (typeof setting.default === "object"
            ? JSON.stringify(setting.default)
            : String(setting.default)) +
        "`"
    );
}

/** The table in Markdown, between its markers. */
export function configTable(): string {
    const rows = settings.map(
        (s) =>
            `| \`${s.key}\` | ${s.secret ? "secret " : ""}${s.type} | ${defaultCell(s)} | ${s.description.replace(/\|/g, "\\|")} |`,
    );
    return [
        start,
        "| key | type | default | what it does |",
        "| --- | --- | --- | --- |",
        ...rows,
        end,
    ].join("\n");
}

/** README text with its table replaced by `configTable()`. */
export function withConfigTable(readme: string): string {
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    if (from === -1 || to === -1)
        throw new Error(`README.md has no config table markers (${start})`);
    return readme.slice(0, from) + configTable() + readme.slice(to + end.length);
}

/** Pulumi.yaml's `config` block: each key's type, description and default. */
export function projectConfig(): Record<string, object> {
    return Object.fromEntries(
        settings.map((s) => [
            s.key,
            {
                type: s.type,
                // The one list setting, `tolerations`, holds objects; the engine needs to know.
                ...(s.type === "array" ? { items: { type: "object" } } : {}),
                description: s.description,
                default: s.default,
            },
        ]),
    );
}

/** Pulumi.yaml's text with its `config` block, its last, replaced by `projectConfig()`. */
export function withProjectConfig(project: string): string {
    const from = project.search(/^config:/m);
    if (from === -1) throw new Error("Pulumi.yaml has no config block");
    return project.slice(0, from) + yaml.dump({ config: projectConfig() }, { lineWidth: -1 });
}

if (require.main === module) {
    fs.writeFileSync("README.md", withConfigTable(fs.readFileSync("README.md", "utf8")));
    fs.writeFileSync("Pulumi.yaml", withProjectConfig(fs.readFileSync("Pulumi.yaml", "utf8")));
}
