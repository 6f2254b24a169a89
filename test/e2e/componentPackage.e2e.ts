// The component as a Pulumi package (provider/PulumiPlugin.yaml), consumed the way a team on
// another language consumes it: `pulumi package add`, then preview, up, a preview that changes
// nothing and destroy, on the real CLI, language hosts, engine, Docker Engine and registry. One
// suite per example program in examples/; the tests are the steps of one stack's life and run
// in order.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import * as yaml from "js-yaml";

import { docker } from "../../tools/testbed/docker";
import { freePort, httpGet } from "../../tools/testbed/http";
import { ProjectCopy, newStack, repoRoot } from "../../tools/testbed/project";
import { TestBed, testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { secretForms } from "../support/registry";
import { changes, storedState, useStack } from "../support/stack";
import { Plugin, dockerTargetPlugins, yamlLanguage } from "./plugins";

const providerDir = path.join(repoRoot, "provider");
const pythonLanguage: Plugin = { kind: "language", name: "python" };

interface Consumer {
    /** Folder under examples/ and the name of the program's language. */
    readonly example: "yaml" | "python";
    /** The language host the program runs on. */
    readonly language: Plugin;
    /** What the program sets as the app's greeting. */
    readonly greeting: string;
}

/** `pulumi` in the program's folder, on the project copy's file backend; returns its output. */
function pulumiCli(project: ProjectCopy, ...args: string[]): string {
    return execFileSync("pulumi", args, {
        cwd: project.dir,
        env: {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${project.stateDir}`,
            PULUMI_SKIP_UPDATE_CHECK: "true",
        },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
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

function describeConsumer({ example, language, greeting }: Consumer): void {
    const title = `the component package in the ${example} program of examples/${example}`;
    const needs: SuiteNeeds = {
        plugins: [...dockerTargetPlugins, language],
        timeoutMinutes: 20,
    };
    e2eSuite(title, needs, () => {
        const bed = testBed();
        const repository = `e2e/package-${example}-${crypto.randomBytes(3).toString("hex")}`;
        let hostPort: number;
        let outputs: { url: string; imageRef: string; container: string };
        // The first test makes the stack, once the package is added.
        const suite = useStack(`package-${example}`, {
            source: path.join(repoRoot, "examples", example),
            ownDependencies: true,
            stackInTest: true,
        });

        it("adds the package with `pulumi package add`, recorded in Pulumi.yaml by its path", async () => {
            // The example names the package by its path from examples/, which the copy is not in:
            // the copy starts without it, as the program did before the package was added.
            const committed = readManifest(suite.project.dir);
            assert.strictEqual(
                path.resolve(repoRoot, "examples", example, committed.packages?.flaskapp ?? ""),
                providerDir,
            );
            delete committed.packages;
            writeManifest(suite.project.dir, committed);

            pulumiCli(suite.project, "package", "add", providerDir);
            assert.deepStrictEqual(readManifest(suite.project.dir).packages, {
                flaskapp: providerDir,
            });

            suite.stack = await newStack(suite.project, example);
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

describeConsumer({
    example: "yaml",
    language: yamlLanguage,
    greeting: "Hello from a YAML program",
});
describeConsumer({
    example: "python",
    language: pythonLanguage,
    greeting: "Hello from a Python program",
});
