// What the end-to-end suites and the benchmarks share: a throwaway copy of the project, a stack on a local file
// backend with a passphrase secrets provider, and the registry the test bed provides.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { setTimeout as sleep } from "timers/promises";
import { EngineEvent, LocalWorkspace, OpMap, Stack, UpResult } from "@pulumi/pulumi/automation";

import { containerSpec } from "../../components/container";
import { containerArgs } from "../../components/docker";
import { validSettings } from "../../components/flaskApp";
import { promiseOf } from "./promiseOf";
import { dockerRunArgs } from "./dockerRun";

export const repoRoot = path.resolve(__dirname, "..", "..");

/** The test bed's settings, read from the environment `scripts/testbed/run.sh` loads. */
export interface TestBed {
    registry: string;
    username: string;
    password: string;
    baseImage?: string;
    pipIndexUrl?: string;
    pipTrustedHost?: string;
    /** Path of the test bed cluster's kubeconfig. */
    kubeconfig: string;
}

export function testBed(): TestBed {
    const need = (key: string) => {
        const value = process.env[key];
        if (!value) {
            throw new Error(
                `${key} is not set: run the suite through scripts/e2e.sh, or export the ` +
                    "FLASKAPP_E2E_* variables that README.md describes",
            );
        }
        return value;
    };
    return {
        registry: need("FLASKAPP_E2E_REGISTRY"),
        username: need("FLASKAPP_E2E_REGISTRY_USERNAME"),
        password: need("FLASKAPP_E2E_REGISTRY_PASSWORD"),
        baseImage: process.env.FLASKAPP_E2E_BASE_IMAGE || undefined,
        pipIndexUrl: process.env.FLASKAPP_E2E_PIP_INDEX_URL || undefined,
        pipTrustedHost: process.env.FLASKAPP_E2E_PIP_TRUSTED_HOST || undefined,
        kubeconfig: need("FLASKAPP_E2E_KUBECONFIG"),
    };
}

/** `kubectl` against the test bed cluster, trimmed; `input` goes to its stdin. */
export function kubectl(bed: TestBed, args: string[], input?: string): string {
    return execFileSync("kubectl", ["--kubeconfig", bed.kubeconfig, ...args], {
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "pipe"],
    }).trim();
}

/** `kubectl get ... -o json`, parsed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function kubectlJson(bed: TestBed, ...args: string[]): any {
    return JSON.parse(kubectl(bed, ["get", ...args, "-o", "json"]));
}

/**
 * Configures `stack` to build the app with the test bed's base image and package index and push
 * it to `repository` in the test bed's registry with its credentials; `extra` sets more keys.
 */
export async function configureStack(
    stack: Stack,
    bed: TestBed,
    repository: string,
    extra: Record<string, string | number | boolean>,
): Promise<void> {
    await setConfig(stack, {
        imageRepository: `${bed.registry}/${repository}`,
        registryUsername: bed.username,
        ...(bed.baseImage && { baseImage: bed.baseImage }),
        ...(bed.pipIndexUrl && { pipIndexUrl: bed.pipIndexUrl }),
        ...(bed.pipTrustedHost && { pipTrustedHost: bed.pipTrustedHost }),
        ...extra,
    });
    await stack.setConfig("flask-app:registryPassword", { value: bed.password, secret: true });
}

/** The test bed cluster's kubeconfig, as the stack's `kubeconfig` secret. */
export async function setKubeconfig(stack: Stack, bed: TestBed): Promise<void> {
    await stack.setConfig("flask-app:kubeconfig", {
        value: fs.readFileSync(bed.kubeconfig, "utf8"),
        secret: true,
    });
}

/**
 * Configures `stack` as `configureStack` does, for the kubernetes target on the test bed's
 * cluster: the app in `namespace`, which the stack creates; `extra` sets more keys, or
 * overrides those.
 */
export async function configureKubernetesStack(
    stack: Stack,
    bed: TestBed,
    repository: string,
    namespace: string,
    extra: Record<string, string | number | boolean> = {},
): Promise<void> {
    await configureStack(stack, bed, repository, {
        target: "kubernetes",
        namespace,
        createNamespace: true,
        ...extra,
    });
    await setKubeconfig(stack, bed);
}

/** What a copy of the project needs to run its program. */
const projectEntries = [
    "Pulumi.yaml",
    "index.ts",
    "package.json",
    "tsconfig.json",
    "tsconfig.pulumi.json",
    "components",
    "app",
    "tools",
];

/**
 * A copy of the project (or of the program in `source`) in a temporary folder, beside a folder
 * for a file backend's state, so that tests can edit the app freely. It uses the project's
 * node_modules unless `ownDependencies` is set, for a program that installs its own.
 */
export class ProjectCopy {
    readonly dir: string;
    readonly stateDir: string;

    constructor(prefix: string, source?: string, { ownDependencies = false } = {}) {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
        this.dir = path.join(root, "project");
        this.stateDir = path.join(root, "state");
        fs.mkdirSync(this.stateDir);
        fs.mkdirSync(this.dir);
        if (source === undefined) {
            for (const entry of projectEntries) {
                fs.cpSync(path.join(repoRoot, entry), path.join(this.dir, entry), {
                    recursive: true,
                });
            }
        } else {
            fs.cpSync(source, this.dir, { recursive: true });
        }
        if (!ownDependencies) {
            fs.symlinkSync(
                path.join(repoRoot, "node_modules"),
                path.join(this.dir, "node_modules"),
            );
        }
    }

    /** Replaces `from` with `to` in a file of the app folder. */
    editApp(file: string, from: string, to: string): void {
        const target = path.join(this.dir, "app", file);
        const text = fs.readFileSync(target, "utf8");
        if (!text.includes(from))
            throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
        fs.writeFileSync(target, text.replace(from, to));
    }

    remove(): void {
        fs.rmSync(path.dirname(this.dir), { recursive: true, force: true });
    }
}

/**
 * A new stack, with a unique name, on a file backend inside the project copy's folder; `env` is
 * more environment for every command the stack runs.
 */
export async function newStack(
    project: ProjectCopy,
    prefix: string,
    env: Record<string, string> = {},
): Promise<Stack> {
    const stackName = `${prefix}-${crypto.randomBytes(4).toString("hex")}`;
    return LocalWorkspace.createStack(
        { stackName, workDir: project.dir },
        {
            envVars: {
                PULUMI_BACKEND_URL: `file://${project.stateDir}`,
                PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(16).toString("hex"),
                PULUMI_SKIP_UPDATE_CHECK: "true",
                ...env,
            },
        },
    );
}

/** After a suite: destroys the stack's resources, removes it and the project copy. */
export async function tearDown(stack?: Stack, project?: ProjectCopy): Promise<void> {
    try {
        await stack?.destroy();
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

/** The forms a registry password takes on its way: as is, in base64, and in a Docker `auth`. */
export function secretForms(username: string, password: string): string[] {
    const base64 = (text: string) => Buffer.from(text).toString("base64");
    return [password, base64(password), base64(`${username}:${password}`)];
}

/** Sets plain config keys of the project namespace. */
export async function setConfig(
    stack: Stack,
    values: Record<string, string | number | boolean>,
): Promise<void> {
    await stack.setAllConfig(
        Object.fromEntries(
            Object.entries(values).map(([k, v]) => [`flask-app:${k}`, { value: String(v) }]),
        ),
    );
}

/** The operations of a summary other than "same", e.g. `{ update: 1, replace: 1 }`. */
export function changes(summary: OpMap | undefined): OpMap {
    return Object.fromEntries(
        Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && n),
    ) as OpMap;
}

/** `docker` CLI output, trimmed. */
export function docker(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

/** GET `url`, retried while the app starts; returns status and body. */
export async function httpGet(
    url: string,
    attempts = 30,
): Promise<{ status: number; body: string }> {
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
        try {
            const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
            return { status: response.status, body: await response.text() };
        } catch (err) {
            lastError = err;
            await sleep(1000);
        }
    }
    throw new Error(`GET ${url} failed ${attempts} times: ${String(lastError)}`);
}

/** The digest the registry holds for `repository:tag`, read through its API with credentials. */
export async function registryDigest(
    bed: TestBed,
    repository: string,
    tag: string,
): Promise<string | undefined> {
    const response = await fetch(`http://${bed.registry}/v2/${repository}/manifests/${tag}`, {
        method: "HEAD",
        headers: {
            Authorization:
                "Basic " + Buffer.from(`${bed.username}:${bed.password}`).toString("base64"),
            Accept: [
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            ].join(", "),
        },
    });
    if (response.status === 404) return undefined;
    if (!response.ok)
        throw new Error(`registry answered ${response.status} for ${repository}:${tag}`);
    return response.headers.get("docker-content-digest") ?? undefined;
}

/** A TCP port that nothing listens on right now. */
export async function freePort(): Promise<number> {
    const net = await import("net");
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
        });
    });
}

/** Builds the app folder `appDir` as `ref` with the test bed's base image and package index. */
export function buildAppImage(bed: TestBed, appDir: string, ref: string, ...extra: string[]): void {
    const buildArgs = [
        ...(bed.baseImage ? ["--build-arg", `BASE_IMAGE=${bed.baseImage}`] : []),
        ...(bed.pipIndexUrl ? ["--build-arg", `PIP_INDEX_URL=${bed.pipIndexUrl}`] : []),
        ...(bed.pipTrustedHost ? ["--build-arg", `PIP_TRUSTED_HOST=${bed.pipTrustedHost}`] : []),
    ];
    docker("build", "--quiet", ...extra, ...buildArgs, "--tag", ref, appDir);
}

/**
 * Runs `ref` with exactly the container settings the docker target computes for its defaults,
 * published on `hostPort`, and waits until Docker reports it healthy.
 */
export async function runHardened(ref: string, name: string, hostPort: number): Promise<string> {
    const settings = validSettings(name, {
        image: { repository: "localhost:5000/unused" },
        docker: { hostPort },
    });
    // On the default bridge: the network of its own is Pulumi's to create (docker.e2e.ts).
    const args = containerArgs(settings, containerSpec(settings, ref), "bridge");
    docker("run", ...dockerRunArgs({ ...args, envs: await promiseOf(args.envs) }, name));
    for (let i = 0; i < 60; i++) {
        const health = docker("inspect", "--format", "{{.State.Health.Status}}", name);
        if (health === "healthy") return `http://127.0.0.1:${hostPort}`;
        if (health === "unhealthy") break;
        await sleep(1000);
    }
    throw new Error(`container ${name} did not become healthy:\n${docker("logs", name)}`);
}
