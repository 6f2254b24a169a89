import * as assert from "assert";

import { splitRepository } from "../components/imageReference";

describe("image repositories", () => {
    it("splits off the registry host when the first part looks like one", () => {
        assert.deepStrictEqual(splitRepository("localhost:5000/flask-app"), {
            host: "localhost:5000",
            path: "flask-app",
        });
        assert.deepStrictEqual(splitRepository("ghcr.io/acme/web"), {
            host: "ghcr.io",
            path: "acme/web",
        });
        assert.deepStrictEqual(splitRepository("localhost/app"), {
            host: "localhost",
            path: "app",
        });
    });

    it("leaves Docker Hub repositories without a host", () => {
        assert.deepStrictEqual(splitRepository("acme/web"), { host: undefined, path: "acme/web" });
        assert.deepStrictEqual(splitRepository("web"), { host: undefined, path: "web" });
    });

    it("refuses tags, digests, uppercase and stray separators", () => {
        for (const bad of [
            "",
            "web:latest",
            "localhost:5000/web:v1",
            "web@sha256:abc",
            "Acme/web",
            "acme//web",
            "acme/web/",
            "-web",
            "reg istry.io/web",
        ]) {
            assert.strictEqual(splitRepository(bad), undefined, bad);
        }
    });
});
