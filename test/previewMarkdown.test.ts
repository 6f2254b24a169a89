import * as assert from "assert";
import { DiffKind, EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";

import { changedSteps, renderPreview } from "../tools/previewMarkdown";

const urn = (type: string, name: string) => `urn:pulumi:dev::flask-app::${type}::${name}`;
const step = (op: string, type: string, name: string, extra: Partial<StepEventMetadata> = {}) =>
    ({ op, type, urn: urn(type, name), provider: "", ...extra }) as StepEventMetadata;
const event = (metadata: StepEventMetadata) => ({ resourcePreEvent: { metadata } }) as EngineEvent;

describe("preview as Markdown", () => {
    it("says so when nothing would change", () => {
        assert.strictEqual(
            renderPreview("dev", [], { same: 3 }),
            "### `pulumi preview` of stack `dev`\n\n**No changes.** 3 resources unchanged.\n",
        );
    });

    it("lists each change with the names of the changed properties", () => {
        const steps = [
            step("update", "docker:index/image:Image", "flask-app-image", {
                detailedDiff: {
                    "build.args.BASE_IMAGE": { diffKind: DiffKind.update, inputDiff: true },
                },
            }),
            step("replace", "docker:index/container:Container", "flask-app-container", {
                diffs: ["image"],
            }),
        ];
        assert.strictEqual(
            renderPreview("dev", steps, { same: 2, update: 1, replace: 1 }),
            [
                "### `pulumi preview` of stack `dev`",
                "",
                "**1 to update, 1 to replace**, 2 unchanged.",
                "",
                "| change | resource | type | changed properties |",
                "| --- | --- | --- | --- |",
                "| update | `flask-app-image` | `docker:index/image:Image` | `build.args.BASE_IMAGE` |",
                "| replace | `flask-app-container` | `docker:index/container:Container` | `image` |",
                "",
            ].join("\n"),
        );
    });

    it("keeps the changing steps of a preview's events, once per replacement", () => {
        const steps = changedSteps([
            event(step("same", "pulumi:pulumi:Stack", "flask-app-dev")),
            event(step("update", "pulumi:providers:docker", "default_4_11_2")),
            event(step("create-replacement", "docker:index/container:Container", "c")),
            event(step("replace", "docker:index/container:Container", "c")),
            event(step("delete-replaced", "docker:index/container:Container", "c")),
            { summaryEvent: {} } as EngineEvent,
        ]);
        assert.deepStrictEqual(
            steps.map((s) => s.op),
            ["replace"],
        );
    });
});
