import * as assert from "assert";

import {
    dockerCpus,
    dockerMemoryMiB,
    isCpuQuantity,
    isMemoryQuantity,
    parseQuantity,
} from "../components/quantity";

describe("Kubernetes quantities", () => {
    it("parses decimal, binary and exponent suffixes", () => {
        assert.strictEqual(parseQuantity("500m"), 0.5);
        assert.strictEqual(parseQuantity("2"), 2);
        assert.strictEqual(parseQuantity("1.5"), 1.5);
        assert.strictEqual(parseQuantity("128Mi"), 128 * 2 ** 20);
        assert.strictEqual(parseQuantity("1Gi"), 2 ** 30);
        assert.strictEqual(parseQuantity("1G"), 1e9);
        assert.strictEqual(parseQuantity("1k"), 1000);
        assert.strictEqual(parseQuantity("12e6"), 12e6);
    });

    it("refuses what Kubernetes refuses", () => {
        for (const bad of ["", "abc", "1MB", "1 Gi", "1.2.3", "Mi", "1KI", "--1"]) {
            assert.strictEqual(parseQuantity(bad), undefined, bad);
        }
    });

    it("accepts positive CPU amounts down to a millicore", () => {
        assert.ok(isCpuQuantity("1m"));
        assert.ok(isCpuQuantity("0.25"));
        assert.ok(!isCpuQuantity("0"));
        assert.ok(!isCpuQuantity("-1"));
        assert.ok(!isCpuQuantity("100u"));
    });

    it("accepts positive whole-byte memory amounts", () => {
        assert.ok(isMemoryQuantity("64Mi"));
        assert.ok(isMemoryQuantity("1000000"));
        assert.ok(!isMemoryQuantity("0"));
        assert.ok(!isMemoryQuantity("128m"));
    });

    it("converts limits to Docker's units", () => {
        assert.strictEqual(dockerCpus("500m"), "0.5");
        assert.strictEqual(dockerCpus("2"), "2");
        assert.strictEqual(dockerCpus("1250m"), "1.25");
        assert.strictEqual(dockerMemoryMiB("256Mi"), 256);
        assert.strictEqual(dockerMemoryMiB("1Gi"), 1024);
        // 500 MB is 476.8 MiB: rounded down, never above the limit asked for.
        assert.strictEqual(dockerMemoryMiB("500M"), 476);
    });
});
