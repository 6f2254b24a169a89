// The README's table of stack config keys, written from the settings table so that the two never
// differ (a unit test compares them). Usage: npm run docs:config, to rewrite README.md's table.
import * as fs from "fs";

import { Setting, settingsTable } from "../components/settingsTable";

const start = "<!-- config table: written by `npm run docs:config` from components/settings.ts -->";
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
    const rows = (settingsTable as readonly Setting[]).map(
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

if (require.main === module) {
    fs.writeFileSync("README.md", withConfigTable(fs.readFileSync("README.md", "utf8")));
}
