// The component as a Pulumi package (provider/PulumiPlugin.yaml), consumed the way a team on
// another language consumes it: `pulumi package add`, then preview, up, a preview that changes
// nothing and destroy, on the real CLI, language hosts, engine, Docker Engine and registry. One
// suite per example program in examples/ and per place the package is added from: its local
// path, and a git URL at a tag, the way users add it from GitHub, from a snapshot of this
// checkout served on loopback (tools/testbed/gitServer.ts). The tests are the steps of one
// stack's life and run in order.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import * as yaml from "js-yaml";

import { docker } from "../../tools/testbed/docker";
import { GitServer, serveCheckout } from "../../tools/testbed/gitServer";
import { freePort, httpGet } from "../../tools/testbed/http";
import { ProjectCopy, newStack, repoRoot } from "../../tools/testbed/project";
import { TestBed, testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { secretForms } from "../support/registry";
import { changes, storedState, useStack } from "../support/stack";
import { Plugin, dockerTargetPlugins, yamlLanguage } from "./plugins";

const providerDir = path.join(repoRoot, "provider");
const providerVersion: string = JSON.parse(
    fs.readFileSync(path.join(providerDir, "package.json"), "utf8"),
).version;
/** The release tag users add the package at: `v` and the package's version, as Pulumi asks. */
const tag = `v${providerVersion}`;
/**
 * The repository's path on the loopback server. Its owner is not the package's namespace, so the
 * Python program's import shows that the SDK is named by the package, not by the URL.
 */
const servedRepository = "acme/flask-app.git";
const pythonLanguage: Plugin = { kind: "language", name: "python" };

interface Consumer {
    /** Folder under examples/ and the name of the program's language. */
    readonly example: "yaml" | "python";
    /** The language host the program runs on. */
    readonly language: Plugin;
    /** What the program sets as the app's greeting. */
    readonly greeting: string;
    /** Where `pulumi package add` takes the package from: provider/, or a git URL at `tag`. */
    readonly source: "path" | "git";
}

/**
 * `pulumi` in the program's folder, on the project copy's file backend, with `env` added to the
 * environment; returns its output.
 */
function pulumiCli(project: ProjectCopy, args: string[], env: Record<string, string> = {}): string {
    return execFileSync("pulumi", args, {
        cwd: project.dir,
        env: {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${project.stateDir}`,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            ...env,
        },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
}

const pluginsDir = path.join(
    process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"),
    "plugins",
);

/** The name Pulumi gives a package cloned from a git URL: the URL's host and path, `/` as `_`. */
function gitPluginName(packageUrl: string): string {
    const { host, pathname } = new URL(packageUrl);
    return `${host}${pathname}`.replaceAll("/", "_");
}

/** The folder of Pulumi's plugin folder that Pulumi clones a package from a git URL into. */
const gitPluginDir = (packageUrl: string, version: string) =>
    path.join(pluginsDir, `resource-${gitPluginName(packageUrl)}-v${version}`);

/**
 * Removes a package cloned from a git URL, the files Pulumi keeps beside it and the schema the
 * YAML host cached of it, so that the next add clones it and asks it for its schema afresh.
 */
function removeGitPlugin(packageUrl: string, version: string): void {
    const dir = gitPluginDir(packageUrl, version);
    const schemaPrefix = `schema-${gitPluginName(packageUrl)}-${version}-`;
    const cachedSchemas = fs.existsSync(pluginsDir)
        ? fs
              .readdirSync(pluginsDir)
              .filter((file) => file.startsWith(schemaPrefix) && file.endsWith(".json"))
              .map((file) => path.join(pluginsDir, file))
        : [];
    for (const entry of [
        dir,
        `${dir}.lock`,
        `${dir}.partial`,
        `${dir}.lastused`,
        ...cachedSchemas,
    ]) {
        fs.rmSync(entry, { recursive: true, force: true });
    }
}

interface Manifest {
    packages?: Record<string, string>;
    [key: string]: unknown;
}

const readManifest = (dir: string) =>
    yaml.load(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as Manifest;
const writeManifest = (dir: string, manifest: Manifest) =>
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yaml.dump(manifest));

/** The build arguments that make the image from the test bed's base image and package index. */
function buildArgs(bed: TestBed): Record<string, string> {
    return {
        ...(bed.baseImage && { BASE_IMAGE: bed.baseImage }),
        ...(bed.pipIndexUrl && { PIP_INDEX_URL: bed.pipIndexUrl }),
        ...(bed.pipTrustedHost && { PIP_TRUSTED_HOST: bed.pipTrustedHost }),
    };
}

const addedFrom = { path: "its local path", git: `a git URL at ${tag}` };

function describeConsumer({ example, language, greeting, source }: Consumer): void {
    const title = `the component package from ${addedFrom[source]} in the ${example} program of examples/${example}`;
    const needs: SuiteNeeds = {
        plugins: [...dockerTargetPlugins, language],
        timeoutMinutes: 20,
    };
    e2eSuite(title, needs, () => {
        const bed = testBed();
        const repository = `e2e/package-${example}-${source}-${crypto.randomBytes(3).toString("hex")}`;
        let server: GitServer | undefined;
        let hostPort: number;
        let outputs: { url: string; imageRef: string; container: string };
        // What the CLI needs beside the test bed's environment: trust in the git server.
        const cliEnv = () => server?.env ?? {};
        const packageUrl = () => `${server!.url}/provider`;
        // The first test makes the stack, once the package is added.
        const suite = useStack(`package-${example}-${source}`, {
            source: path.join(repoRoot, "examples", example),
            ownDependencies: true,
            stackInTest: true,
            prepare: async () => {
                if (source !== "git") return;
                server = await serveCheckout({
                    checkout: repoRoot,
                    repository: servedRepository,
                    tag,
                });
                // A clone left by an earlier run would be used as it is, and prove nothing.
                removeGitPlugin(packageUrl(), providerVersion);
            },
            cleanUp: async () => {
                if (!server) return;
                removeGitPlugin(packageUrl(), providerVersion);
                await server.close();
            },
        });

        it(`adds the package with \`pulumi package add\`, recorded in Pulumi.yaml by ${addedFrom[source]}`, async () => {
            // The example names the package by its path from examples/, which the copy is not in:
            // the copy starts without it, as the program did before the package was added.
            const committed = readManifest(suite.project.dir);
            assert.strictEqual(
                path.resolve(repoRoot, "examples", example, committed.packages?.flaskapp ?? ""),
                providerDir,
            );
            delete committed.packages;
            writeManifest(suite.project.dir, committed);

            if (source === "path") {
                pulumiCli(suite.project, ["package", "add", providerDir]);
                assert.deepStrictEqual(readManifest(suite.project.dir).packages, {
                    flaskapp: providerDir,
                });
            } else {
                pulumiCli(suite.project, ["package", "add", `${packageUrl()}@${tag}`], cliEnv());
                // Recorded without the scheme, as Pulumi records a git source, and at the tag.
                assert.deepStrictEqual(readManifest(suite.project.dir).packages, {
                    flaskapp: `${packageUrl().replace(/^https:\/\//, "")}@${tag}`,
                });
                const clone = gitPluginDir(packageUrl(), providerVersion);
                assert.ok(
                    fs.existsSync(path.join(clone, "provider", "PulumiPlugin.yaml")),
                    `the tag is cloned into ${clone}`,
                );
                // provider/ is a workspace of the repository's package, so npm installed there:
                // the component's own dependencies are beside its sources.
                assert.ok(
                    fs.existsSync(path.join(clone, "node_modules", "@pulumi", "docker")),
                    "the component's dependencies are installed at the clone's root",
                );
            }

            suite.stack = await newStack(suite.project, example, cliEnv());
            hostPort = await freePort();
            const key = (name: string) => `flask-app-${example}:${name}`;
            await suite.stack.setAllConfig({
                [key("imageRepository")]: { value: `${bed.registry}/${repository}` },
                [key("registryUsername")]: { value: bed.username },
                [key("registryPassword")]: { value: bed.password, secret: true },
                [key("hostPort")]: { value: String(hostPort) },
            });
            // An object key is set by its paths: a JSON string is not an object to the CLI.
            await suite.stack.setAllConfig(
                Object.fromEntries(
                    Object.entries(buildArgs(bed)).map(([arg, value]) => [
                        key(`buildArgs.${arg}`),
                        { value },
                    ]),
                ),
                true,
            );
        });

        it("previews the stack, the component, its image, network and container", async () => {
            const preview = await suite.stack.preview();
            assert.deepStrictEqual(changes(preview.changeSummary), { create: 5 });
        });

        it("runs the app: its URL answers with the greeting the program set", async () => {
            const result = await suite.stack.up();
            const warnings = result.stdout.split("\n").filter((line) => /warning/i.test(line));
            assert.deepStrictEqual(warnings, [], "an up that did nothing wrong warns of nothing");
            outputs = {
                url: result.outputs.url.value,
                imageRef: result.outputs.imageRef.value,
                container: await containerName(),
            };
            assert.strictEqual(outputs.url, `http://127.0.0.1:${hostPort}`);
            assert.ok(
                outputs.imageRef.startsWith(`${bed.registry}/${repository}@sha256:`),
                outputs.imageRef,
            );
            const response = await httpGet(outputs.url + "/");
            assert.strictEqual(response.status, 200);
            assert.deepStrictEqual(JSON.parse(response.body), { message: greeting });
        });

        /** The name of the container the component created, from the stack's state. */
        async function containerName(): Promise<string> {
            const resources: { type: string; outputs?: { name?: string } }[] = (
                await suite.stack.exportStack()
            ).deployment.resources;
            return resources.find((r) => r.type === "docker:index/container:Container")!.outputs!
                .name!;
        }

        it("registers the component under its own token, parent of its image, network and container", async () => {
            const { deployment } = await suite.stack.exportStack();
            const resources: { urn: string; type: string; parent?: string }[] =
                deployment.resources;
            const components = resources.filter((r) => r.type === "flaskapp:index:FlaskApp");
            assert.strictEqual(components.length, 1);
            const childTypes = resources
                .filter((r) => r.parent === components[0].urn)
                .map((r) => r.type)
                .sort();
            assert.deepStrictEqual(childTypes, [
                "docker:index/container:Container",
                "docker:index/image:Image",
                "docker:index/network:Network",
            ]);
        });

        it("keeps the registry password out of the stored state", () => {
            const state = storedState(suite.project, suite.stack);
            for (const form of secretForms(bed.username, bed.password)) {
                assert.ok(!state.includes(form), "the registry password is stored encrypted");
            }
        });

        it("previews no change straight after up", async () => {
            const preview = await suite.stack.preview();
            assert.deepStrictEqual(changes(preview.changeSummary), {});
        });

        it("destroys the app", async () => {
            await suite.stack.destroy();
            assert.strictEqual(
                docker("ps", "--all", "--quiet", "--filter", `name=^/${outputs.container}$`),
                "",
            );
        });
    });
}

for (const source of ["path", "git"] as const) {
    describeConsumer({
        example: "yaml",
        language: yamlLanguage,
        greeting: "Hello from a YAML program",
        source,
    });
    describeConsumer({
        example: "python",
        language: pythonLanguage,
        greeting: "Hello from a Python program",
        source,
    });
}
