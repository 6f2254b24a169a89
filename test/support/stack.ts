// A suite's stack: made in its `before` and torn down in its `after` (`useStack`), and checked:
// what the engine said (`EngineTranscript`), what an operation changed, what the backend stores.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { EngineEvent, OpMap, Stack, UpResult } from "@pulumi/pulumi/automation";

import { ProjectCopy, newStack } from "../../tools/testbed/project";

/** Options of `useStack`. */
export interface StackOptions {
    /** A program to copy instead of the project (`ProjectCopy`'s `source`). */
    readonly source?: string;
    /** The copy installs its own packages rather than using the project's. Default `false`. */
    readonly ownDependencies?: boolean;
    /** Readies the copy before the stack is created, e.g. installs its packages. */
    readonly prepare?: (project: ProjectCopy) => void | Promise<void>;
    /** Configures the new stack. */
    readonly configure?: (stack: Stack) => void | Promise<void>;
    /**
     * Set where a test creates the stack (`newStack(suite.project, ...)`, into `suite.stack`),
     * because the program must change before it has one.
     */
    readonly stackInTest?: boolean;
    /**
     * Whether `after` destroys the stack's resources before it removes the stack. Default `true`;
     * `false` for a suite that creates none (it previews, or its ups must fail).
     */
    readonly destroy?: boolean;
    /** Removes what else the suite made, once the stack is gone or its tear-down failed. */
    readonly cleanUp?: () => void | Promise<void>;
}

/** A suite's copy of the project and its stack, there from its `before` to its `after`. */
export class SuiteStack {
    project!: ProjectCopy;
    stack!: Stack;
}

/**
 * Gives the suite around it a copy of the project (`flaskapp-e2e-<name>-...`) and a new stack on
 * it (`<name>-...`), made in `before`; in `after`, destroys the stack's resources and removes the
 * stack and the copy.
 */
export function useStack(name: string, options: StackOptions = {}): SuiteStack {
    const suite = new SuiteStack();
    before(async () => {
        suite.project = new ProjectCopy(`flaskapp-e2e-${name}`, options.source, {
            ownDependencies: options.ownDependencies,
        });
        await options.prepare?.(suite.project);
        if (options.stackInTest) return;
        suite.stack = await newStack(suite.project, name);
        await options.configure?.(suite.stack);
    });
    after(async () => {
        try {
            await tearDown(suite.stack, suite.project, options.destroy);
        } finally {
            await options.cleanUp?.();
        }
    });
    return suite;
}

/** Destroys the stack's resources unless told not to, removes it and the project copy. */
async function tearDown(stack?: Stack, project?: ProjectCopy, destroy = true): Promise<void> {
    try {
        if (destroy) await stack?.destroy();
        await stack?.workspace.removeStack(stack.name);
    } finally {
        project?.remove();
    }
}

/**
 * The stack's state as it is stored: the backend's checkpoint file and what
 * `pulumi stack export` prints (secrets stay encrypted; the Automation API's `exportStack`
 * decrypts them).
 */
export function storedState(project: ProjectCopy, stack: Stack): string {
    const stacksDir = path.join(project.stateDir, ".pulumi", "stacks");
    const files = fs
        .readdirSync(stacksDir, { recursive: true, encoding: "utf8" })
        .filter((file) => path.basename(file).startsWith(`${stack.name}.json`))
        .map((file) => fs.readFileSync(path.join(stacksDir, file), "utf8"));
    if (files.length === 0) throw new Error(`no checkpoint of ${stack.name} in ${stacksDir}`);
    const exported = execFileSync("pulumi", ["stack", "export", "--stack", stack.name], {
        cwd: project.dir,
        env: { ...process.env, ...stack.workspace.envVars },
        encoding: "utf8",
    });
    return [...files, exported].join("\n");
}

/**
 * Options for an operation that keep a transcript of what the engine said: its output, its
 * errors and its events, as a user or CI sees them. (Pulumi's debug logs, `--debug` and `-v`,
 * print provider inputs and responses in plain text, secrets included; README.md says so.)
 */
export class EngineTranscript {
    text = "";
    /** Warnings the engine reported, not counting the progress messages of a rollout. */
    readonly warnings: string[] = [];
    readonly opts = {
        onOutput: (out: string) => {
            this.text += out;
        },
        onError: (err: string) => {
            this.text += err;
        },
        onEvent: (event: EngineEvent) => {
            const diagnostic = event.diagnosticEvent;
            // Debug diagnostics are the SDK's `--debug` log, which prints resource responses,
            // secrets included, in plain text; users see them only when they ask for them.
            // (The SDK's type leaves "debug" out of the severities it declares.)
            if ((diagnostic?.severity as string | undefined) === "debug") return;
            this.text += JSON.stringify(event) + "\n";
            if (diagnostic?.severity === "warning" && !diagnostic.ephemeral) {
                this.warnings.push(diagnostic.message);
            }
        },
    };

    /** `up` on `stack` into this transcript, failing if the engine warned of anything. */
    async upWithoutWarnings(stack: Stack): Promise<UpResult> {
        const warned = this.warnings.length;
        const result = await stack.up(this.opts);
        assert.deepStrictEqual(
            this.warnings.slice(warned),
            [],
            "an up that did nothing wrong warns of nothing",
        );
        return result;
    }
}

/** The operations of a summary other than "same", e.g. `{ update: 1, replace: 1 }`. */
export function changes(summary: OpMap | undefined): OpMap {
    return Object.fromEntries(
        Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && n),
    ) as OpMap;
}
