// ESLint plugin with one rule, `no-relative-import-across-packages`: a relative (or absolute) import is resolved
// against the importing file and refused when it lands in another package of the workspace — its sources, its dist,
// anything under another package.json — or when it leaves the file's own package for one above it. Packages reach
// each other only by name (`@openbatch/x`), through the entry point their package.json exports.
// Resolution is by path alone, so specifiers of files that do not exist yet (`.js` standing for a `.ts` source)
// are judged the same as any other.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const packageRoots = new Map();

/** The directory of the nearest package.json at or above `path`. */
function packageRootOf(path) {
  const cached = packageRoots.get(path);
  if (cached !== undefined) return cached;
  const parent = dirname(path);
  const root = existsSync(join(path, "package.json")) || parent === path ? path : packageRootOf(parent);
  packageRoots.set(path, root);
  return root;
}

function packageNameOf(root) {
  try {
    return JSON.parse(readFileSync(join(root, "package.json"), "utf8")).name ?? root;
  } catch {
    return root;
  }
}

const noRelativeImportAcrossPackages = {
  meta: {
    type: "problem",
    docs: { description: "Refuse relative imports that reach into another workspace package; import it by name." },
    schema: [
      {
        type: "object",
        properties: { allowInto: { type: "array", items: { type: "string" }, description: "package names this file may reach by path" } },
        additionalProperties: false,
      },
    ],
    messages: {
      crossesPackage:
        "'{{specifier}}' reaches from {{from}} into {{to}} by path; import other packages by name, through their entry point.",
    },
  },
  create(context) {
    const importer = context.physicalFilename ?? context.filename;
    const ownRoot = packageRootOf(dirname(importer));
    const allowInto = new Set(context.options[0]?.allowInto ?? []);
    function check(node) {
      if (node === null || node === undefined || node.type !== "Literal" || typeof node.value !== "string") return;
      const specifier = node.value;
      if (!specifier.startsWith(".") && !specifier.startsWith("/")) return;
      const targetRoot = packageRootOf(resolve(dirname(importer), specifier.split(/[?#]/)[0]));
      if (targetRoot === ownRoot) return;
      const to = packageNameOf(targetRoot);
      if (allowInto.has(to)) return;
      context.report({ node, messageId: "crossesPackage", data: { specifier, from: packageNameOf(ownRoot), to } });
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportEqualsDeclaration: (node) => check(node.moduleReference?.expression),
    };
  },
};

export default { meta: { name: "openbatch-package-boundaries" }, rules: { "no-relative-import-across-packages": noRelativeImportAcrossPackages } };
