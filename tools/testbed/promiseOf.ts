import * as pulumi from "@pulumi/pulumi";

/** The value of an Output, or of an object holding Outputs, once every one has resolved. */
export function promiseOf<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
    return new Promise((resolve) => pulumi.output(value).apply(resolve));
}
