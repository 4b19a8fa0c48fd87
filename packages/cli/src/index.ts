export { serveCommand } from "./serveCommand.js";
export { autoscaleCommand } from "./autoscaleCommand.js";
