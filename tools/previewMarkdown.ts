// Renders a `pulumi preview` as the Markdown a pull request comment shows: what would change,
// resource by resource, with the names of the changed properties (never their values, which may
// be secret). Usage: npx ts-node tools/previewMarkdown.ts --stack NAME [--cwd DIR]
import { EngineEvent, LocalWorkspace, OpMap, StepEventMetadata } from "@pulumi/pulumi/automation";

/** Operations that accompany a `replace` and would only repeat it. */
const replaceSteps = new Set(["create-replacement", "delete-replaced", "discard-replaced"]);

/** The properties a step changes, as precisely as the engine reports them. */
function changedProperties(step: StepEventMetadata): string[] {
    const detailed = Object.keys(step.detailedDiff ?? {});
    return detailed.length > 0 ? detailed : (step.diffs ?? []);
}

/** The steps of a preview that change something, from its engine events. */
export function changedSteps(events: EngineEvent[]): StepEventMetadata[] {
    return (
        events
            .flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []))
            .filter((step) => step.op !== "same" && !replaceSteps.has(step.op))
            // The engine reports default providers as updated whenever it loads them; only a
            // provider whose settings change is a change.
            .filter(
                (step) =>
                    !step.type.startsWith("pulumi:providers:") ||
                    changedProperties(step).length > 0,
            )
    );
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const code = (text: string) => "`" + text.replace(/`/g, "'") + "`";

/** The Markdown for a preview of `stack` with these changed steps and this change summary. */
export function renderPreview(stack: string, steps: StepEventMetadata[], summary: OpMap): string {
    const title = `### ${code("pulumi preview")} of stack ${code(stack)}`;
    const unchanged = summary.same ?? 0;
    if (steps.length === 0) {
        return `${title}\n\n**No changes.** ${unchanged} resource${unchanged === 1 ? "" : "s"} unchanged.\n`;
    }
    const counts = Object.entries(summary)
        .filter(([op, n]) => op !== "same" && n)
        .map(([op, n]) => `${n} to ${op}`)
        .join(", ");
    const rows = steps.map(
        (step) =>
            `| ${step.op} | ${code(nameOf(step.urn))} | ${code(step.type)} | ${changedProperties(step).map(code).join(", ")} |`,
    );
    return [
        title,
        "",
        `**${counts}**, ${unchanged} unchanged.`,
        "",
        "| change | resource | type | changed properties |",
        "| --- | --- | --- | --- |",
        ...rows,
        "",
    ].join("\n");
}

/** Previews `stack` of the project in `workDir` and returns the Markdown. */
export async function previewMarkdown(stackName: string, workDir: string): Promise<string> {
    const stack = await LocalWorkspace.selectStack({ stackName, workDir });
    const events: EngineEvent[] = [];
    const result = await stack.preview({ diff: true, onEvent: (e) => events.push(e) });
    return renderPreview(stackName, changedSteps(events), result.changeSummary);
}

if (require.main === module) {
    const flag = (name: string) => {
        const i = process.argv.indexOf(`--${name}`);
        return i === -1 ? undefined : process.argv[i + 1];
    };
    const stack = flag("stack");
    if (!stack) {
        console.error("usage: npx ts-node tools/previewMarkdown.ts --stack NAME [--cwd DIR]");
        process.exit(2);
    }
    previewMarkdown(stack, flag("cwd") ?? process.cwd()).then(
        (markdown) => process.stdout.write(markdown),
        (err) => {
            console.error(err instanceof Error ? err.message : err);
            process.exit(1);
        },
    );
}
