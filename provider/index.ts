// What `pulumi package add` runs: the FlaskApp component served as the Pulumi package that this
// folder's package.json names, `@flaskapp/flaskapp`: the name gives the schema's token, the
// component's own `flaskapp:index:FlaskApp`, and the scope its namespace, which names the SDKs
// (Python's `flaskapp_flaskapp`) wherever the package is added from. Without a scope, Pulumi
// would name them after the owner in the git URL.
export { FlaskApp } from "../components/flaskApp";
