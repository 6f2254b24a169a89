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
    let schema: Schema;

    before(async () => {
        const provider = new ComponentProvider({
            name: manifest.name,
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
        assert.strictEqual(schema.version, readJson(path.join(root, "package.json")).version);
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
