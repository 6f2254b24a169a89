// The JSDoc of each argument states its default ("Default `2`."), which callers read in their
// editors and in every language's SDK; the settings table holds the default the component
// applies. This holds the two equal.
import * as assert from "assert";
import * as fs from "fs";
import * as ts from "typescript";

import { Setting, settingsTable } from "../components/settingsTable";

interface Field {
    readonly doc: string;
    /** The interface the field's type names, when it is one of args.ts's own. */
    readonly group?: string;
}

/** The interfaces of components/args.ts: each field's JSDoc and the interface it refers to. */
function argsInterfaces(): Map<string, Map<string, Field>> {
    const file = "components/args.ts";
    const source = ts.createSourceFile(
        file,
        fs.readFileSync(file, "utf8"),
        ts.ScriptTarget.Latest,
        true,
    );
    const interfaces = new Map<string, Map<string, Field>>();
    for (const statement of source.statements) {
        if (!ts.isInterfaceDeclaration(statement)) continue;
        const fields = new Map<string, Field>();
        for (const member of statement.members) {
            if (!ts.isPropertySignature(member) || !member.type) continue;
            const doc = ts
                .getJSDocCommentsAndTags(member)
                .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
                .join(" ")
                .replace(/\s+/g, " ");
            const type = member.type;
            const group =
                ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)
                    ? type.typeName.text
                    : undefined;
            fields.set(member.name.getText(source), { doc, group });
        }
        interfaces.set(statement.name.text, fields);
    }
    return interfaces;
}

/** The field a setting's path names, or undefined where it is an entry of a map (`env.GREETING`). */
function fieldAt(interfaces: Map<string, Map<string, Field>>, dotted: string): Field | undefined {
    let fields = interfaces.get("FlaskAppArgs");
    let field: Field | undefined;
    for (const part of dotted.split(".")) {
        field = fields?.get(part);
        if (field === undefined) return undefined;
        fields = field.group ? interfaces.get(field.group) : undefined;
    }
    return field;
}

/** What the JSDoc must say of the default. */
function expectedNote(setting: Setting): RegExp {
    const { default: value } = setting;
    if (setting.default === setting.notSet) return /Default (?!`)\S/;
    if (typeof value === "object" && Object.keys(value).length === 0) return /Default none\b/;
    return new RegExp(
        `Default \`${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\``,
    );
}

describe("the arguments' documentation", () => {
    const interfaces = argsInterfaces();
    const table: readonly Setting[] = settingsTable;

    for (const setting of table) {
        const field = fieldAt(interfaces, setting.path);
        // Entries of a map are documented on the map (`buildArgs`, `env`).
        if (field === undefined) continue;
        it(`states the table's default for \`${setting.path}\``, () => {
            if (setting.required) {
                assert.doesNotMatch(field.doc, /Default/, "a required argument has no default");
                return;
            }
            assert.match(field.doc, expectedNote(setting));
        });
    }

    it("finds every setting that is not an entry of a map", () => {
        const missing = table
            .filter((s) => fieldAt(interfaces, s.path) === undefined)
            .map((s) => s.path);
        assert.deepStrictEqual(missing, [
            "image.buildArgs.BASE_IMAGE",
            "image.buildArgs.PIP_INDEX_URL",
            "image.buildArgs.PIP_TRUSTED_HOST",
            "env.GREETING",
        ]);
    });
});
