// Faults survived, on real systems: each test injects one fault into a live stack (the registry
// down, the Docker daemon restarting, a resource removed out of band, a broken kubeconfig, two
// updates at once, an update killed half-way) and checks that nothing is lost and that the next
// `up` converges with no step beyond the one the test names. The tests of each stack run in
// order: each starts from the state the one before left.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChildProcess, execFileSync, spawn } from "child_process";
import { setTimeout as sleep } from "timers/promises";
import { Stack } from "@pulumi/pulumi/automation";

import { docker } from "../../tools/testbed/docker";
import { freePort, httpGet } from "../../tools/testbed/http";
import {
    ProjectCopy,
    configureKubernetesStack,
    configureStack,
    repoRoot,
} from "../../tools/testbed/project";
import { TestBed, testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { kubectl, kubectlJson } from "../support/kubernetes";
import { EngineTranscript, changes, useStack } from "../support/stack";
import { kubernetesTargetPlugins } from "./plugins";

const testbedScript = (name: string) => path.join(repoRoot, "scripts", "testbed", name);

/**
 * A registry of the suite's own, started by the test bed's registry.sh on another loopback port,
 * so that taking it down disturbs no other suite. `down` kills it and `back` serves the same
 * config, credentials and storage again, as a registry restarted by its supervisor would.
 */
class PrivateRegistry {
    private readonly env: NodeJS.ProcessEnv;
    private readonly stateDir: string;

    constructor(
        readonly port: number,
        root: string,
    ) {
        this.stateDir = path.join(root, "registry");
        this.env = {
            ...process.env,
            REGISTRY_PORT: String(port),
            REGISTRY_STATE_DIR: this.stateDir,
            REGISTRY_ENV_FILE: path.join(root, "registry.env"),
        };
    }

    get server(): string {
        return `127.0.0.1:${this.port}`;
    }

    /** Starts it; returns the test bed with this registry and its credentials in place. */
    start(bed: TestBed): TestBed {
        execFileSync(testbedScript("registry.sh"), ["start"], { env: this.env, stdio: "pipe" });
        const vars = Object.fromEntries(
            fs
                .readFileSync(this.env.REGISTRY_ENV_FILE!, "utf8")
                .split("\n")
                .filter((line) => line.includes("="))
                .map((line) => [
                    line.slice(0, line.indexOf("=")),
                    line.slice(line.indexOf("=") + 1),
                ]),
        );
        return {
            ...bed,
            registry: this.server,
            username: vars.REGISTRY_USERNAME,
            password: vars.REGISTRY_PASSWORD,
        };
    }

    private pid(): number | undefined {
        try {
            return Number(fs.readFileSync(path.join(this.stateDir, "registry.pid"), "utf8"));
        } catch {
            return undefined;
        }
    }

    async down(): Promise<void> {
        const pid = this.pid();
        assert.ok(pid, "the private registry runs");
        process.kill(pid, "SIGTERM");
        for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
        assert.ok(!isAlive(pid), `registry pid ${pid} stopped`);
    }

    async back(): Promise<void> {
        // Started the way registry.sh starts it, in a session of its own that this process does
        // not parent: registry.sh finds (and stops) it by the pid file.
        execFileSync("bash", [
            "-c",
            'setsid bash -c \'echo $$ >"$1"; exec docker-registry serve "$2"\' _ "$1" "$2" ' +
                '>>"$3" 2>&1 </dev/null &',
            "_",
            path.join(this.stateDir, "registry.pid"),
            path.join(this.stateDir, "config.yml"),
            path.join(this.stateDir, "registry.log"),
        ]);
        for (let i = 0; i < 100; i++) {
            const status = await fetch(`http://${this.server}/v2/`).then(
                (r) => r.status,
                () => 0,
            );
            if (status === 401) return;
            await sleep(200);
        }
        throw new Error(`the registry on ${this.server} did not come back`);
    }

    /** Stops it and removes its storage and credentials. */
    stop(): void {
        execFileSync(testbedScript("registry.sh"), ["stop"], { env: this.env, stdio: "pipe" });
    }
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Every process below `pid`, children first. */
function descendants(pid: number): number[] {
    const children = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" })
        .trim()
        .split("\n")
        .map((line) => line.trim().split(/\s+/).map(Number))
        .filter(([, ppid]) => ppid === pid)
        .map(([child]) => child);
    return children.flatMap((child) => [child, ...descendants(child)]);
}

/** The lock files the file backend holds for `stack`. */
function locks(project: ProjectCopy, stack: Stack): string[] {
    const dir = path.join(project.stateDir, ".pulumi", "locks");
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((file) => file.endsWith(".json") && file.includes(stack.name));
}

/** The stack's checkpoint as `pulumi stack export` prints it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function checkpoint(stack: Stack): Promise<any> {
    return (await stack.exportStack()).deployment;
}

/**
 * Runs `pulumi up` as a user does, as a child process in its own process group, and kills it the
 * way an impatient user or a cancelled CI job does once its output matches `moment`: SIGINT (the
 * CLI starts a graceful cancel), then, `graceMs` later, SIGKILL to the CLI and everything it
 * started. Returns what the CLI printed.
 */
async function killedUp(
    project: ProjectCopy,
    stack: Stack,
    moment: RegExp,
    { afterMs = 1500, graceMs = 1000, timeoutMs = 5 * 60 * 1000 } = {},
): Promise<string> {
    const child: ChildProcess = spawn(
        "pulumi",
        ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.name],
        {
            cwd: project.dir,
            env: { ...process.env, ...stack.workspace.envVars },
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        },
    );
    let output = "";
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const seen = new Promise<boolean>((resolve) => {
        const watch = (chunk: Buffer) => {
            output += chunk.toString();
            if (moment.test(output)) resolve(true);
        };
        child.stdout!.on("data", watch);
        child.stderr!.on("data", watch);
        void exited.then(() => resolve(false));
        setTimeout(() => resolve(false), timeoutMs).unref();
    });
    try {
        assert.ok(await seen, `pulumi up never printed ${moment}:\n${output}`);
        await sleep(afterMs);
        child.kill("SIGINT");
        await sleep(graceMs);
    } finally {
        // The CLI starts its plugins in process groups of their own, and they outlive a killed
        // CLI: kill the whole tree by pid, as a CI runner that cancels a job does.
        for (const pid of [child.pid!, ...descendants(child.pid!)]) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // Already gone.
            }
        }
        await exited;
    }
    return output;
}

const needs: SuiteNeeds = { plugins: kubernetesTargetPlugins, timeoutMinutes: 10 };

e2eSuite("Faults survived, on real systems", needs, () => {
    const testbed = testBed();
    const repository = `e2e/faults-${crypto.randomBytes(3).toString("hex")}`;
    const transcript = new EngineTranscript();
    let registryRoot: string;
    let registry: PrivateRegistry;
    let bed: TestBed;

    before(async () => {
        registryRoot = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-e2e-registry-"));
        registry = new PrivateRegistry(await freePort(), registryRoot);
        bed = registry.start(testbed);
    });

    after(() => {
        try {
            registry?.stop();
        } finally {
            if (registryRoot) fs.rmSync(registryRoot, { recursive: true, force: true });
        }
    });

    describe("docker target", () => {
        const suite = useStack("faults-docker", {
            configure: async (stack) =>
                configureStack(stack, bed, repository, {
                    target: "docker",
                    hostPort: await freePort(),
                }),
        });
        let url: string;
        let container: string;
        const greetings = ["Hello from Flask!"];

        /** Edits the app's message, the one-line change that needs a new image and push. */
        function changeApp(): string {
            const next = `Hello, change ${greetings.length}!`;
            suite.project.editApp(
                "flask_app/__init__.py",
                JSON.stringify(greetings[greetings.length - 1]),
                JSON.stringify(next),
            );
            greetings.push(next);
            return next;
        }
        async function up() {
            const result = await suite.stack.up(transcript.opts);
            url = result.outputs.url.value;
            container = result.outputs.resourceNames.value.container;
            return changes(result.summary.resourceChanges);
        }
        async function serves(message: string) {
            assert.deepStrictEqual(JSON.parse((await httpGet(url + "/")).body), { message });
        }
        async function previewsNoChange() {
            const preview = await suite.stack.preview(transcript.opts);
            assert.deepStrictEqual(changes(preview.changeSummary), {});
        }

        before(async () => {
            await up();
            await serves(greetings[0]);
        });

        it("registry down: the up fails naming the registry, the app keeps serving, the next up converges", async () => {
            const served = greetings[greetings.length - 1];
            const next = changeApp();
            await registry.down();
            try {
                await assert.rejects(suite.stack.up(transcript.opts), (err: Error) => {
                    assert.match(err.message, new RegExp(registry.server.replace(/\./g, "\\.")));
                    assert.match(err.message, /connection refused/);
                    return true;
                });
                await serves(served);
            } finally {
                await registry.back();
            }
            assert.deepStrictEqual(await up(), { update: 1, replace: 1 });
            await serves(next);
            await previewsNoChange();
        });

        it("container removed out of band: refresh, then up, restores it", async () => {
            docker("rm", "--force", container);
            // Pulumi cannot tell from a preview: it compares the program with the state, and the
            // docker provider reads the container back only on refresh.
            await previewsNoChange();
            const refreshed = await suite.stack.refresh(transcript.opts);
            assert.deepStrictEqual(changes(refreshed.summary.resourceChanges), { delete: 1 });
            assert.deepStrictEqual(await up(), { create: 1 });
            await serves(greetings[greetings.length - 1]);
            await previewsNoChange();
        });

        it("Docker daemon restarts: the container comes back by its restart policy, no change to make", async () => {
            const startedAt = () =>
                docker("inspect", "--format", "{{.State.StartedAt}}", container);
            const before = startedAt();
            // The test bed's own stop and start: dockerd runs as a plain background process. The
            // suite's registry is a host process, not a container, so it stays up throughout.
            execFileSync(testbedScript("docker-engine.sh"), ["stop"], { stdio: "pipe" });
            execFileSync(testbedScript("docker-engine.sh"), ["start"], { stdio: "pipe" });
            let health = "";
            for (let i = 0; i < 120 && health !== "healthy"; i++) {
                await sleep(1000);
                health = docker("inspect", "--format", "{{.State.Health.Status}}", container);
            }
            assert.strictEqual(health, "healthy");
            assert.notStrictEqual(startedAt(), before, "the daemon started it again");
            await serves(greetings[greetings.length - 1]);
            await previewsNoChange();
        });

        it("two ups at once: the second is refused by the stack's lock, the state stays intact", async () => {
            const first = suite.stack.up(transcript.opts);
            for (let i = 0; i < 600 && locks(suite.project, suite.stack).length === 0; i++)
                await sleep(100);
            assert.strictEqual(
                locks(suite.project, suite.stack).length,
                1,
                "the first up holds the lock",
            );
            await assert.rejects(suite.stack.up(transcript.opts), (err: Error) => {
                assert.match(err.message, /the stack is currently locked by 1 lock\(s\)/);
                return true;
            });
            assert.deepStrictEqual(changes((await first).summary.resourceChanges), {});
            assert.deepStrictEqual(locks(suite.project, suite.stack), []);
            await previewsNoChange();
        });

        it("up killed mid-build: pulumi cancel, then up, converges", async () => {
            const next = changeApp();
            // SIGKILL straight after SIGINT, as a second Ctrl-C or a CI job's kill does: the CLI
            // has no time to finish its cancel, so it leaves its lock and a pending operation.
            const output = await killedUp(
                suite.project,
                suite.stack,
                /flask-app-image updating .*Starting Docker build/,
                {
                    afterMs: 0,
                    graceMs: 0,
                },
            );
            assert.doesNotMatch(output, /flask-app-image updated/);
            assert.strictEqual(
                locks(suite.project, suite.stack).length,
                1,
                "the killed CLI left its lock",
            );
            await assert.rejects(suite.stack.up(transcript.opts), (err: Error) => {
                assert.match(
                    err.message,
                    /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`/,
                );
                return true;
            });
            await suite.stack.cancel();
            assert.deepStrictEqual(locks(suite.project, suite.stack), []);
            // The interrupted image update is a pending operation: up warns of it and goes on.
            assert.deepStrictEqual(
                (await checkpoint(suite.stack)).pending_operations.map(
                    (op: { type: string; resource: { type: string } }) => [
                        op.type,
                        op.resource.type,
                    ],
                ),
                [["updating", "docker:index/image:Image"]],
            );
            assert.deepStrictEqual(await up(), { update: 1, replace: 1 });
            assert.deepStrictEqual((await checkpoint(suite.stack)).pending_operations ?? [], []);
            await serves(next);
            await previewsNoChange();
        });

        it("leaves nothing behind after destroy", async () => {
            await suite.stack.destroy(transcript.opts);
            assert.strictEqual(
                docker("ps", "--all", "--quiet", "--filter", `name=^/${container}$`),
                "",
            );
            assert.deepStrictEqual(locks(suite.project, suite.stack), []);
            assert.deepStrictEqual((await checkpoint(suite.stack)).resources ?? [], []);
        });
    });

    describe("kubernetes target", () => {
        const namespace = `e2e-faults-${crypto.randomBytes(3).toString("hex")}`;
        const kubeconfig = fs.readFileSync(testbed.kubeconfig, "utf8");

        const deployment = () => kubectlJson(bed, "-n", namespace, "deployment", "flask-app");
        // A label of this suite's own, put on a kwok node by the rollout test and removed after.
        // No dots in it: config paths split on them.
        const nodeLabel = `flaskapp-faults-${crypto.randomBytes(3).toString("hex")}`;
        let kwokNode: string;
        async function up() {
            const result = await suite.stack.up(transcript.opts);
            return changes(result.summary.resourceChanges);
        }
        async function previewsNoChange() {
            const preview = await suite.stack.preview(transcript.opts);
            assert.deepStrictEqual(changes(preview.changeSummary), {});
        }

        before(() => {
            kwokNode = kubectl(bed, [
                "get",
                "nodes",
                "-l",
                "type=kwok",
                "-o",
                "jsonpath={.items[0].metadata.name}",
            ]);
        });
        const suite = useStack("faults-k8s", {
            configure: (stack) =>
                configureKubernetesStack(stack, bed, repository, namespace, { replicas: 2 }),
            cleanUp: () => {
                if (kwokNode) kubectl(bed, ["label", "node", kwokNode, `${nodeLabel}-`]);
            },
        });

        it("a wrong or unreachable kubeconfig: a clear error before any Kubernetes object, then converges", async () => {
            // Port 1 (tcpmux): nothing listens there, unlike a port picked as free a moment ago.
            const port = 1;
            const unreachable = [
                "apiVersion: v1",
                "kind: Config",
                `clusters: [{name: gone, cluster: {server: "https://127.0.0.1:${port}"}}]`,
                "users: [{name: gone, user: {token: nothing}}]",
                "contexts: [{name: gone, context: {cluster: gone, user: gone}}]",
                "current-context: gone",
            ].join("\n");
            const cases: [string, RegExp][] = [
                [
                    // Refused by the program itself, before anything is built.
                    "this is not a kubeconfig",
                    /`kubeconfig` must be the contents of a kubeconfig file, with its `clusters`/,
                ],
                [
                    unreachable,
                    new RegExp(
                        "configured Kubernetes cluster is unreachable: .*" +
                            `dial tcp 127\\.0\\.0\\.1:${port}: connect: connection refused`,
                    ),
                ],
            ];
            try {
                for (const [value, message] of cases) {
                    await suite.stack.setConfig("flask-app:kubeconfig", { value, secret: true });
                    await assert.rejects(suite.stack.up(transcript.opts), (err: Error) => {
                        assert.match(err.message, message);
                        return true;
                    });
                    const types = ((await checkpoint(suite.stack)).resources ?? []).map(
                        (r: { type: string }) => r.type,
                    );
                    // The program checks only that it is a kubeconfig, not that its cluster
                    // answers: the image may be built and pushed before the first Kubernetes
                    // object fails (or cut short when it does). No Kubernetes object is created.
                    assert.deepStrictEqual(
                        types.filter((t: string) => t.startsWith("kubernetes:")),
                        [],
                    );
                }
                assert.throws(() => kubectlJson(bed, "namespace", namespace), /NotFound|not found/);
            } finally {
                // The later cases start from a stack with a good kubeconfig, whatever this one did.
                await suite.stack.setConfig("flask-app:kubeconfig", {
                    value: kubeconfig,
                    secret: true,
                });
            }
            await up();
            assert.strictEqual(deployment().status.availableReplicas, 2);
            await previewsNoChange();
        });

        it("Deployment removed out of band: refresh, then up, restores it", async () => {
            kubectl(bed, ["-n", namespace, "delete", "deployment", "flask-app"]);
            // Pulumi cannot tell from a preview: it compares the program with the state, and
            // the provider reads the Deployment back only on refresh.
            await previewsNoChange();
            const refreshed = await suite.stack.refresh(transcript.opts);
            assert.deepStrictEqual(changes(refreshed.summary.resourceChanges), { delete: 1 });
            assert.deepStrictEqual(await up(), { create: 1 });
            assert.strictEqual(deployment().status.availableReplicas, 2);
            await previewsNoChange();
        });

        it("up interrupted mid-rollout: the next up finishes the rollout", async () => {
            // The pods need a node label that no node has yet, so the rollout waits and the
            // kill lands in it; the label is added after the kill.
            await suite.stack.setConfig(
                `flask-app:nodeSelector.${nodeLabel}`,
                { value: "yes" },
                true,
            );
            const output = await killedUp(
                suite.project,
                suite.stack,
                /flask-app-deployment updating .*Waiting for app ReplicaSet/,
                { afterMs: 500 },
            );
            assert.match(output, /\^C received; cancelling/);
            assert.match(output, /Resource operation was cancelled for "flask-app"/);
            // The CLI finished its cancel within the grace period, so the SIGKILL found it gone:
            // it released the lock and left no pending operation.
            assert.deepStrictEqual(locks(suite.project, suite.stack), []);
            assert.deepStrictEqual((await checkpoint(suite.stack)).pending_operations ?? [], []);
            assert.deepStrictEqual(deployment().spec.template.spec.nodeSelector, {
                [nodeLabel]: "yes",
            });

            kubectl(bed, ["label", "node", kwokNode, `${nodeLabel}=yes`]);
            // The cancelled update left the old spec in the state: the same up updates again.
            assert.deepStrictEqual(await up(), { update: 1 });
            assert.strictEqual(deployment().status.availableReplicas, 2);
            await previewsNoChange();
        });

        it("leaves nothing behind after destroy, the namespace included", async () => {
            await suite.stack.destroy(transcript.opts);
            assert.throws(() => kubectlJson(bed, "namespace", namespace), /NotFound|not found/);
            assert.deepStrictEqual(locks(suite.project, suite.stack), []);
        });
    });
});
