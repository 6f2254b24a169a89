import { promiseOf, registered, reset } from "./mocks";

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";

import { DeployTarget, FlaskApp, RestartPolicy, ServiceType } from "../components";

const root = path.resolve(__dirname, "..");
const providerDir = path.join(root, "provider");
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

interface Property {
    description?: string;
    $ref?: string;
}
interface Schema {
    name: string;
    namespace?: string;
    version: string;
    resources: Record<
        string,
        { inputProperties: Record<string, Property>; properties: Record<string, Property> }
    >;
    types: Record<string, { properties?: Record<string, Property>; enum?: { value: string }[] }>;
}

// The schema that `pulumi package add` gets: the SDK's component provider, given the folder that
// PulumiPlugin.yaml is in, infers it from the TypeScript types, as the Node.js host does.
describe("the component package that `pulumi package add` runs", function () {
    this.timeout(120000);
    const manifest = readJson(path.join(providerDir, "package.json"));
    const rootManifest = readJson(path.join(root, "package.json"));
    // The name and namespace the host gives the package (@pulumi/pulumi's cmd/run-plugin):
    // package.json's name without its scope, and the scope.
    const [, namespace, name] = /^(?:@([^/]+)\/)?(.+)$/.exec(manifest.name)!;
    let schema: Schema;

    before(async () => {
        const provider = new ComponentProvider({
            name,
            namespace,
            dirname: providerDir,
            components: [FlaskApp],
        });
        schema = JSON.parse(await provider.getSchema());
    });

    it("is named so that its one resource token is the one the component registers", async () => {
        reset();
        const app = new FlaskApp("web", { image: { repository: "localhost:5000/flask-app" } });
        await promiseOf(app.urn);
        assert.deepStrictEqual(Object.keys(schema.resources), [registered[0].type]);
        assert.strictEqual(schema.name, registered[0].type.split(":")[0]);
    });

    it("carries the npm package's version", () => {
        assert.strictEqual(schema.version, rootManifest.version);
    });

    // Without a namespace of its own, Pulumi names a package added from a git URL after the URL's
    // owner, and the Python module would change with the place it is added from.
    it("has a namespace of its own, which names the SDK the Python example imports", () => {
        assert.ok(schema.namespace, "provider/package.json's name has a scope");
        const program = fs.readFileSync(
            path.join(root, "examples", "python", "__main__.py"),
            "utf8",
        );
        const requirements = fs.readFileSync(
            path.join(root, "examples", "python", "requirements.txt"),
            "utf8",
        );
        assert.match(program, new RegExp(`^import ${schema.namespace}_${schema.name} as `, "m"));
        assert.match(requirements, new RegExp(`^sdks/${schema.namespace}-${schema.name}$`, "m"));
    });

    // Pulumi's Node.js host installs a plugin's dependencies at its npm workspace's root: there
    // the component's sources (../components) find theirs, in a clone from git as in a checkout.
    it("is a workspace of the repository's package, sharing its versions of what both need", () => {
        assert.deepStrictEqual(rootManifest.workspaces, ["provider"]);
        const rootVersions = { ...rootManifest.devDependencies, ...rootManifest.dependencies };
        for (const [dependency, version] of Object.entries(manifest.dependencies)) {
            assert.strictEqual(version, rootVersions[dependency], dependency);
        }
        // One copy of the SDK, or the host and the component would not share its runtime state.
        assert.strictEqual(
            manifest.dependencies["@pulumi/pulumi"],
            rootManifest.dependencies["@pulumi/pulumi"],
        );
    });

    it("documents every input, output and nested property from the args' JSDoc", () => {
        const [component] = Object.values(schema.resources);
        const undocumented = [
            ...Object.entries(component.inputProperties).map(([k, p]) => [`input ${k}`, p]),
            ...Object.entries(component.properties).map(([k, p]) => [`output ${k}`, p]),
            ...Object.entries(schema.types).flatMap(([type, t]) =>
                Object.entries(t.properties ?? {}).map(([k, p]) => [`${type}.${k}`, p]),
            ),
        ]
            .filter(([, p]) => !(p as Property).description)
            .map(([where]) => where);
        assert.deepStrictEqual(undocumented, []);
    });

    it("offers exactly the targets, restart policies and service types the component accepts", () => {
        const values = (name: string) =>
            schema.types[`${schema.name}:index:${name}`]?.enum?.map((e) => e.value);
        assert.deepStrictEqual(values("DeployTarget"), Object.values(DeployTarget));
        assert.deepStrictEqual(values("RestartPolicy"), Object.values(RestartPolicy));
        assert.deepStrictEqual(values("ServiceType"), Object.values(ServiceType));
    });
});
