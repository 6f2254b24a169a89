// What `pulumi package add` runs: the FlaskApp component served as the Pulumi package that this
// folder's package.json names, `flaskapp`, so that the schema's token is the component's own
// `flaskapp:index:FlaskApp`.
export { FlaskApp } from "../components/flaskApp";
