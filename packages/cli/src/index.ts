export { serveCommand } from "./serveCommand.js";
