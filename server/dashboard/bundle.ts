/**
 * Bundling the typed client (server/client, with zod and the protocol
 * schemas) into one browser ES module with esbuild, a development
 * dependency. `npm run build` writes it to dist/server/dashboard/ (see
 * write-client-bundle.ts), and the installed package serves that file; only
 * a server run from the TypeScript sources (tests, `npm run dev`) bundles on
 * the fly, here.
 */

/** File name of the bundle next to the compiled serve.js. */
export const CLIENT_BUNDLE_FILE = "client.bundle.js";

/** Bundle the client whose entry module is `entry` (its index.ts or compiled index.js). */
export async function bundleBrowserClient(entry: string): Promise<string> {
  const esbuild = await import("esbuild");
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}
