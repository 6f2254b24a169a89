// A throwaway copy of the project and a stack on it, on a local file backend with a passphrase
// secrets provider, configured to build and push through the test bed: what the end-to-end suites
// and the benchmarks run the program in.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";

import { TestBed } from "./testBed";

export const repoRoot = path.resolve(__dirname, "..", "..");

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
