// The policy pack in policy/ during a real `pulumi preview --policy-pack policy`: the project's
// own stacks pass it, and a config that breaks a rule fails the preview with the rule's message.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

import { configureKubernetesStack, configureStack, repoRoot } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { useStack } from "../support/stack";
import { kubernetesTargetPlugins } from "./plugins";

const needs: SuiteNeeds = { plugins: kubernetesTargetPlugins, timeoutMinutes: 10 };

e2eSuite("the policy pack, during a real preview", needs, () => {
    const bed = testBed();
    // Previews only: nothing to destroy.
    const suite = useStack("policy", {
        prepare: (project) =>
            fs.cpSync(path.join(repoRoot, "policy"), path.join(project.dir, "policy"), {
                recursive: true,
            }),
        destroy: false,
    });

    const preview = () =>
        suite.stack.preview({ policyPacks: [path.join(suite.project.dir, "policy")] });
    /** The settings a stack file of the project holds, without the project's prefix. */
    const stackFile = (name: string): Record<string, string> => {
        const file = yaml.load(
            fs.readFileSync(path.join(repoRoot, `Pulumi.${name}.yaml`), "utf8"),
        ) as { config: Record<string, unknown> };
        return Object.fromEntries(
            Object.entries(file.config).map(([k, v]) => [k.replace(/^flask-app:/, ""), String(v)]),
        );
    };
    /** A stack with `settings`, building and pushing through the test bed. */
    async function useSettings(settings: Record<string, string>) {
        for (const key of Object.keys(await suite.stack.getAllConfig()))
            await suite.stack.removeConfig(key);
        // The test bed's registry stands in for the stack file's.
        const rest = Object.fromEntries(
            Object.entries(settings).filter(([key]) => key !== "imageRepository"),
        );
        const repository = `e2e/policy-${crypto.randomBytes(3).toString("hex")}`;
        // The stack file's namespace and createNamespace stand.
        if (settings.target === "kubernetes") {
            await configureKubernetesStack(suite.stack, bed, repository, settings.namespace, rest);
        } else {
            await configureStack(suite.stack, bed, repository, rest);
        }
    }

    for (const name of ["dev", "staging"]) {
        it(`passes the ${name} stack's settings`, async () => {
            await useSettings(stackFile(name));
            const result = await preview();
            assert.doesNotMatch(result.stdout, /\[mandatory\]/);
            // On a new stack the image's digest is not known yet: the policy SDK then reports
            // that the rule waits for `up`, and nothing else.
            const advisories = result.stdout.split("\n").filter((l) => l.includes("[advisory]"));
            for (const line of advisories) assert.match(line, /pinned-images/);
            assert.doesNotMatch(
                result.stdout.replace(
                    /can't run policy 'pinned-images'[^\n]*during preview[^\n]*/g,
                    "",
                ),
                /can't run policy/,
            );
        });
    }

    it("fails a docker port published on 0.0.0.0 with the rule's message", async () => {
        await useSettings({ ...stackFile("dev"), hostAddress: "0.0.0.0" });
        await assert.rejects(preview(), (err: Error) => {
            assert.match(err.message, /docker-ports-on-loopback/);
            assert.match(
                err.message,
                /port 8000 is published on 0\.0\.0\.0:8080; publish it on 127\.0\.0\.1 or allow the address/,
            );
            return true;
        });
    });
});
