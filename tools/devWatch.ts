// The dev stack's watch mode (`npm run dev -- --watch`): keeps the running dev stack following
// app/. A saved change to the app's code is reloaded in place in the running container (the
// stack's `liveUpdate`, app/server.py's `reload`); a change to what the image is built from
// (requirements.txt, the Dockerfile, .dockerignore, server.py) runs `pulumi up`, a full build and
// a rollout pinned by digest. Each round prints one line with the time from the save to the new
// code answering, found by requesting the app until its answer changes. Saves within
// `burstMilliseconds` of each other make one round. Ctrl-C waits for a running `pulumi up` to
// stop (Pulumi cancels cleanly on SIGINT) and leaves the stack unlocked.
//   Usage: scripts/dev.sh up --watch (it starts this once the stack is up)
import * as fs from "fs";
import * as path from "path";
import { ChildProcess, execFile, spawn } from "child_process";
import { promisify } from "util";

const run = promisify(execFile);

/** Quiet time after a save before a round starts: an editor's save of several files is one. */
const burstMilliseconds = 80;
/** How long a round waits for the app's answer to change before it says the answer did not. */
const answerWaitMilliseconds = 3000;

/** Files at the top of the app folder that the image build reads and a reload cannot apply. */
const rebuildFiles = new Set(["requirements.txt", "Dockerfile", ".dockerignore", "server.py"]);

/** Files no round needs: bytecode, editors' temporary files, what the image leaves out. */
export function ignored(file: string): boolean {
    const name = path.basename(file);
    return (
        file.split(path.sep).includes("__pycache__") ||
        /\.py[cod]$/.test(name) ||
        /(^\.#|~$|\.sw[a-p]$|^4913$)/.test(name) ||
        name === "requirements-dev.txt"
    );
}

/** What a burst of changed files (relative to the app folder) needs: an `up`, or a reload. */
export function roundKind(files: string[]): "rebuild" | "reload" {
    return files.some((file) => rebuildFiles.has(path.normalize(file))) ? "rebuild" : "reload";
}

interface Stack {
    readonly container: string;
    readonly url: string;
}

async function stackOutputs(): Promise<Stack> {
    const { stdout } = await run("pulumi", ["stack", "output", "--json", "--stack", "dev"]);
    const outputs = JSON.parse(stdout);
    const container = outputs.resourceNames?.container;
    if (typeof container !== "string" || typeof outputs.url !== "string") {
        throw new Error("the dev stack has no container: is its target docker?");
    }
    return { container, url: outputs.url };
}

async function answer(url: string): Promise<string | undefined> {
    try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        return `${response.status} ${await response.text()}`;
    } catch {
        return undefined;
    }
}

/** When the app first answers other than `before`, or undefined if it does not within `ms`. */
async function answerChanged(url: string, before: string | undefined, ms: number) {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline) {
        const now = await answer(url);
        if (now !== undefined && now !== before) return performance.now();
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return undefined;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const say = (line: string) => console.log(`[watch] ${line}`);

class Watcher {
    private pending = new Map<string, number>();
    private timer?: NodeJS.Timeout;
    private busy = false;
    private child?: ChildProcess;
    private stopping = false;

    constructor(private stack: Stack) {}

    saved(file: string): void {
        if (this.stopping || ignored(file)) return;
        if (!this.pending.has(file)) this.pending.set(file, performance.now());
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.next(), burstMilliseconds);
    }

    private async next(): Promise<void> {
        if (this.busy || this.stopping || this.pending.size === 0) return;
        this.busy = true;
        const burst = this.pending;
        this.pending = new Map();
        try {
            await this.round([...burst.keys()], Math.min(...burst.values()));
        } catch (error) {
            say(`round failed: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
            this.busy = false;
        }
        // Saves made during the round make the next one.
        if (this.pending.size > 0) await this.next();
    }

    private async round(files: string[], savedAt: number): Promise<void> {
        const what = files.join(", ");
        const before = await answer(this.stack.url);
        const kind = roundKind(files);
        const ok = kind === "reload" ? await this.reload(what) : await this.rebuild(what);
        if (!ok) return;
        const changed = await answerChanged(this.stack.url, before, answerWaitMilliseconds);
        if (changed === undefined) {
            say(
                `${what}: ${kind === "reload" ? "reloaded" : "rolled out"}, in ${seconds(performance.now() - savedAt)}; the app's answer at ${this.stack.url} is the same as before`,
            );
        } else {
            say(
                `${what}: ${kind === "reload" ? "reloaded" : "rebuilt and rolled out"}; the new code answered ${seconds(changed - savedAt)} after the save`,
            );
        }
    }

    private async reload(what: string): Promise<boolean> {
        const result = await this.spawned("docker", [
            "exec",
            this.stack.container,
            "python",
            "-m",
            "server",
            "reload",
        ]);
        if (result.code === 0) return true;
        say(`${what}: not reloaded; the running code serves on. The reason:`);
        process.stdout.write(indent(result.output));
        return false;
    }

    private async rebuild(what: string): Promise<boolean> {
        say(`${what}: rebuilding the image and rolling it out (pulumi up)`);
        const result = await this.spawned("pulumi", [
            "up",
            "--stack",
            "dev",
            "--yes",
            "--skip-preview",
            "--non-interactive",
            "--suppress-progress",
        ]);
        if (result.code !== 0) {
            say(`${what}: pulumi up failed${this.stopping ? " (stopped)" : ""}. Its last lines:`);
            process.stdout.write(indent(result.output.trimEnd().split("\n").slice(-20).join("\n")));
            return false;
        }
        // A rollout replaces the container, and with it the name that a reload runs in.
        this.stack = await stackOutputs();
        return true;
    }

    /**
     * Runs a command, keeping its output; one at a time, so that Ctrl-C can wait for it. In a
     * process group of its own, so that Ctrl-C reaches it once, from `stop`: a second SIGINT
     * would make `pulumi up` quit at once and leave the stack locked.
     */
    private spawned(command: string, args: string[]) {
        return new Promise<{ code: number; output: string }>((resolve, reject) => {
            const child = spawn(command, args, {
                stdio: ["ignore", "pipe", "pipe"],
                detached: true,
            });
            this.child = child;
            let output = "";
            child.stdout!.on("data", (chunk) => (output += chunk));
            child.stderr!.on("data", (chunk) => (output += chunk));
            child.on("error", reject);
            child.on("close", (code) => {
                this.child = undefined;
                resolve({ code: code ?? 1, output });
            });
        });
    }

    /** Ctrl-C: no new round; a running command is cancelled, as Ctrl-C would, and waited for. */
    async stop(): Promise<void> {
        this.stopping = true;
        clearTimeout(this.timer);
        const child = this.child;
        if (child) {
            say("stopping: waiting for the running command to cancel");
            const closed = new Promise((resolve) => child.on("close", resolve));
            child.kill("SIGINT");
            await closed;
        }
    }
}

function indent(text: string): string {
    return (
        text
            .trimEnd()
            .split("\n")
            .map((line) => `    ${line}`)
            .join("\n") + "\n"
    );
}

async function main(): Promise<void> {
    const appDir = path.resolve(process.argv[2] ?? "app");
    const watcher = new Watcher(await stackOutputs());
    const files = fs.watch(appDir, { recursive: true }, (_event, file) => {
        if (file) watcher.saved(file.toString());
    });
    let stopped = false;
    const stop = async () => {
        if (stopped) return;
        stopped = true;
        files.close();
        await watcher.stop();
        say("stopped; the dev stack keeps running (npm run dev:destroy removes it)");
        process.exit(0);
    };
    process.on("SIGINT", () => void stop());
    process.on("SIGTERM", () => void stop());
    say(`following ${path.relative(process.cwd(), appDir) || "."}/; Ctrl-C stops`);
}

if (require.main === module) {
    main().catch((error) => {
        console.error(`[watch] ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    });
}
