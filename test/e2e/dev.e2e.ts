// `npm run dev`, as the README tells a newcomer to run it, in a clean copy of the repository
// (the files git tracks, no node_modules, no state), on the test bed's Docker Engine: the first
// `up`, a second one that changes nothing, the watch mode (`npm run dev -- --watch`) under load,
// `npm run dev:destroy`, and a registry on localhost:5000 that asks for credentials.
//
// Docker Hub is out of reach here: scripts/testbed/dev-images.sh gives what the script and the
// Dockerfile pull there (the registry image and the pinned base image) under those names, from
// package registries. The copy's Pulumi.dev.yaml gets the test bed's package index, as a
// developer behind a mirror would set it; nothing else of the copy is changed.
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { ChildProcess, execFileSync, spawn } from "child_process";
import { setTimeout as sleep } from "timers/promises";

import { docker } from "../../tools/testbed/docker";
import { httpGet } from "../../tools/testbed/http";
import { repoRoot } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { describeLoad, startLoad, summarize } from "./load";
import { dockerTargetPlugins } from "./plugins";

const registryContainer = "flask-app-dev-registry";
const greetingLine = 'DEFAULT_GREETING = "Hello from Flask!"';

/** The environment of a newcomer's shell: no backend, passphrase or test bed settings. */
function newcomerEnv(): NodeJS.ProcessEnv {
    return Object.fromEntries(
        Object.entries(process.env).filter(
            ([key]) => !/^(PULUMI_BACKEND_URL|PULUMI_CONFIG_PASSPHRASE|FLASKAPP_)/.test(key),
        ),
    );
}

/** A command in `cwd`, to its end; its exit status and everything it printed. */
function runToEnd(cwd: string, command: string, args: string[], timeoutMs = 15 * 60 * 1000) {
    return new Promise<{ code: number; output: string }>((resolve, reject) => {
        const child = spawn(command, args, { cwd, env: newcomerEnv() });
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.stderr.on("data", (chunk) => (output += chunk));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? 1, output });
        });
    });
}

/** The counts under the "Resources:" summary of a `pulumi up`, e.g. ["4 unchanged"]. */
function resourceCounts(output: string): string[] {
    const lines = output.split("\n");
    const start = lines.findIndex((line) => line.trim() === "Resources:");
    assert.ok(start >= 0, `no Resources: summary in\n${output}`);
    const counts = [];
    for (const line of lines.slice(start + 1)) {
        if (line.trim() === "") break;
        counts.push(line.trim().replace(/^[-+~]+\s*/, ""));
    }
    return counts;
}

/** The watch mode, running in a process group of its own, as a terminal would run it. */
class WatchMode {
    output = "";
    private readonly child: ChildProcess;
    readonly exited: Promise<number>;

    constructor(cwd: string) {
        this.child = spawn("npm", ["run", "dev", "--", "--watch"], {
            cwd,
            env: newcomerEnv(),
            detached: true,
        });
        this.child.stdout!.on("data", (chunk) => (this.output += chunk));
        this.child.stderr!.on("data", (chunk) => (this.output += chunk));
        this.exited = new Promise((resolve) =>
            this.child.on("close", (code) => resolve(code ?? 1)),
        );
    }

    /** Waits until the output, past `from`, matches `pattern`; returns the matching line. */
    async line(pattern: RegExp, from: number, timeoutMs = 5 * 60 * 1000): Promise<string> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const found = this.output
                .slice(from)
                .split("\n")
                .find((line) => pattern.test(line));
            if (found) return found;
            await sleep(50);
        }
        throw new Error(`no line matching ${pattern} in:\n${this.output.slice(from)}`);
    }

    /** Ctrl-C: SIGINT to the whole process group, as the terminal sends it. */
    interrupt(): void {
        process.kill(-this.child.pid!, "SIGINT");
    }
}

const needs: SuiteNeeds = {
    plugins: dockerTargetPlugins,
    parts: { FLASKAPP_E2E_PIP_INDEX_URL: "the test bed's wheelhouse" },
    timeoutMinutes: 20,
};

e2eSuite("npm run dev, as a newcomer runs it", needs, () => {
    const bed = testBed();
    let dir: string;
    let url: string;
    let appFile: string;
    const names: { container?: string; network?: string } = {};

    const dev = (...args: string[]) => runToEnd(dir, "npm", ["run", "dev", ...args]);
    const outputs = () =>
        JSON.parse(
            execFileSync("pulumi", ["stack", "output", "--json", "--stack", "dev"], {
                cwd: dir,
                env: {
                    ...newcomerEnv(),
                    PULUMI_BACKEND_URL: `file://${dir}/.pulumi-local/state`,
                    PULUMI_CONFIG_PASSPHRASE_FILE: `${dir}/.pulumi-local/passphrase`,
                },
                encoding: "utf8",
            }),
        );
    const greeting = async () => JSON.parse((await httpGet(url)).body).message as string;

    before(() => {
        for (const image of ["registry:2.8.3", "python:3.14.2-slim-trixie"]) {
            assert.doesNotThrow(
                () => docker("image", "inspect", image),
                `${image} is missing: scripts/testbed/up.sh makes it (dev-images.sh)`,
            );
        }
        assert.strictEqual(
            docker("ps", "-aq", "--filter", `name=^${registryContainer}$`),
            "",
            `${registryContainer} is there already: this suite starts it from nothing`,
        );
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-e2e-dev-"));
        const tracked = execFileSync("git", ["ls-files", "-z"], {
            cwd: repoRoot,
            encoding: "utf8",
        });
        for (const file of tracked.split("\0").filter(Boolean)) {
            fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            fs.copyFileSync(path.join(repoRoot, file), path.join(dir, file));
        }
        fs.chmodSync(path.join(dir, "scripts", "dev.sh"), 0o755);
        fs.appendFileSync(
            path.join(dir, "Pulumi.dev.yaml"),
            `  flask-app:pipIndexUrl: ${bed.pipIndexUrl}\n  flask-app:pipTrustedHost: ${bed.pipTrustedHost}\n`,
        );
        appFile = path.join(dir, "app", "flask_app", "__init__.py");
    });

    after(async () => {
        if (dir === undefined) return;
        if (fs.existsSync(path.join(dir, ".pulumi-local")))
            await runToEnd(dir, "npm", ["run", "dev:destroy"]);
        await runToEnd(dir, "docker", ["rm", "-f", registryContainer]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("brings the dev stack up from a clean copy: the url answers with the app's greeting", async () => {
        const { code, output } = await dev();
        assert.strictEqual(code, 0, output);
        assert.match(output, /no registry on localhost:5000; starting registry:2\.8\.3/);
        const out = outputs();
        url = out.url;
        names.container = out.resourceNames.container;
        names.network = out.resourceNames.network;
        assert.strictEqual(url, "http://127.0.0.1:8080");
        assert.strictEqual(await greeting(), "Hello from Flask!");
    });

    it("changes nothing on a second npm run dev", async () => {
        const { code, output } = await dev();
        assert.strictEqual(code, 0, output);
        const counts = resourceCounts(output);
        assert.ok(counts.length === 1 && / unchanged$/.test(counts[0]), counts.join(", "));
    });

    it("follows app/ with --watch: code in seconds with no failed request, a broken change kept out, a requirements change rolled out, Ctrl-C clean", async () => {
        const watch = new WatchMode(dir);
        try {
            await watch.line(/^\[watch\] following app\//, 0);
            const source = fs.readFileSync(appFile, "utf8");
            const loads = [
                startLoad(`${url}/`, { concurrency: 2, maxSeconds: 300 }),
                startLoad(`${url}/`, { concurrency: 2, keepAlive: false, maxSeconds: 300 }),
            ];
            const measured: number[] = [];
            const reported: number[] = [];
            for (let round = 1; round <= 3; round++) {
                const words = `Hello from round ${round}!`;
                const from = watch.output.length;
                const savedAt = performance.now();
                fs.writeFileSync(
                    appFile,
                    source.replace(greetingLine, `DEFAULT_GREETING = "${words}"`),
                );
                while ((await greeting()) !== words) {
                    assert.ok(
                        performance.now() - savedAt < 30_000,
                        `round ${round} not served in 30 s`,
                    );
                }
                measured.push((performance.now() - savedAt) / 1000);
                const line = await watch.line(
                    /the new code answered ([\d.]+) s after the save/,
                    from,
                );
                reported.push(Number(/answered ([\d.]+) s/.exec(line)![1]));
                await sleep(1000);
            }
            const samples = (await Promise.all(loads.map((load) => load.stop()))).flat();
            const load = summarize(samples);
            const median = (values: number[]) => [...values].sort((a, b) => a - b)[1];
            console.log(
                `      save to serving, measured by this suite: ${measured.map((s) => s.toFixed(2)).join(", ")} s (median ${median(measured).toFixed(2)} s)`,
            );
            console.log(
                `      save to serving, as the watch mode printed it: ${reported.join(", ")} s`,
            );
            console.log(`      ${describeLoad("load during the three reloads", load)}`);
            assert.strictEqual(load.failures, 0, describeLoad("reloads", load));

            // A change that cannot serve is kept out; the last good code serves on.
            const broken = [
                ["def create_app(:", /SyntaxError/],
                ['return jsonify(status="ok")', /GET \/healthz answered 503/],
            ] as const;
            for (const [change, reason] of broken) {
                const from = watch.output.length;
                const text =
                    change === 'return jsonify(status="ok")'
                        ? source.replace(change, 'return jsonify(status="down"), 503')
                        : source + `\n${change}\n`;
                fs.writeFileSync(appFile, text);
                await watch.line(/not reloaded; the running code serves on/, from);
                await watch.line(reason, from);
                assert.strictEqual(await greeting(), "Hello from round 3!");
            }
            let from = watch.output.length;
            fs.writeFileSync(appFile, source);
            await watch.line(/the new code answered/, from);
            assert.strictEqual(await greeting(), "Hello from Flask!");

            // What the image is built from: a full build and a rollout pinned by digest.
            const requirements = path.join(dir, "app", "requirements.txt");
            const pinned = fs.readFileSync(requirements, "utf8");
            const imageBefore = outputs().imageRef;
            from = watch.output.length;
            fs.writeFileSync(requirements, pinned + "# a comment is a change of the build\n");
            await watch.line(/requirements\.txt: rebuilding the image/, from);
            await watch.line(/requirements\.txt: (rebuilt and rolled out|rolled out)/, from);
            const after = outputs();
            assert.notStrictEqual(after.imageRef, imageBefore);
            assert.match(after.imageRef, /^localhost:5000\/flask-app@sha256:[0-9a-f]{64}$/);
            assert.strictEqual(
                docker("inspect", "-f", "{{.Config.Image}}", after.resourceNames.container),
                after.imageRef,
            );
            names.container = after.resourceNames.container;

            // Ctrl-C in the middle of the next rollout: pulumi cancels, the stack stays usable.
            from = watch.output.length;
            fs.writeFileSync(requirements, pinned);
            await watch.line(/requirements\.txt: rebuilding the image/, from);
            await sleep(1500);
            watch.interrupt();
            // What npm itself then exits with is its own affair; the watch mode's words are ours.
            await watch.exited;
            assert.match(
                watch.output.slice(from),
                /stopping: waiting for the running command to cancel/,
                "Ctrl-C came after the rollout: this test proves nothing of a cancelled one",
            );
            assert.match(
                watch.output.slice(from),
                /\[watch\] stopped; the dev stack keeps running/,
            );
            const locks = path.join(dir, ".pulumi-local", "state", ".pulumi", "locks");
            const held = fs.existsSync(locks)
                ? fs
                      .readdirSync(locks, { recursive: true, withFileTypes: true })
                      .filter((e) => e.isFile())
                : [];
            assert.deepStrictEqual(
                held.map((e) => e.name),
                [],
                "a lock is left on the stack",
            );
        } finally {
            if (
                watch.output.length > 0 &&
                (await Promise.race([watch.exited, sleep(10, -1)])) === -1
            )
                watch.interrupt();
        }
        // The next npm run dev converges on what was cancelled.
        const { code, output } = await dev();
        assert.strictEqual(code, 0, output);
        assert.strictEqual(await greeting(), "Hello from Flask!");
        names.container = outputs().resourceNames.container;
    });

    it("npm run dev:destroy leaves no container, network or registry container behind", async () => {
        const { code, output } = await runToEnd(dir, "npm", ["run", "dev:destroy"]);
        assert.strictEqual(code, 0, output);
        for (const name of [names.container!, names.network!, registryContainer]) {
            assert.strictEqual(
                docker("ps", "-aq", "--filter", `name=^${name}$`),
                "",
                `${name} is left`,
            );
        }
        assert.strictEqual(
            docker("network", "ls", "-q", "--filter", `name=^${names.network}$`),
            "",
        );
    });

    it("stops with a clear message when localhost:5000 asks for credentials it does not have", async () => {
        const registry = http.createServer((_request, response) => {
            response.writeHead(401, { "WWW-Authenticate": 'Basic realm="somebody else"' }).end();
        });
        await new Promise<void>((resolve) => registry.listen(5000, "127.0.0.1", resolve));
        try {
            const { code, output } = await dev();
            assert.notStrictEqual(code, 0);
            assert.match(
                output,
                /the registry on localhost:5000 asks for credentials, and it is not the one this script starts/,
            );
            assert.match(output, /pulumi config set registryUsername NAME/);
            assert.doesNotMatch(output, /Updating \(dev\)/, "pulumi up ran");
            assert.strictEqual(
                docker("ps", "-aq", "--filter", "label=app.kubernetes.io/instance=flask-app"),
                "",
            );
        } finally {
            registry.close();
        }
    });
});
