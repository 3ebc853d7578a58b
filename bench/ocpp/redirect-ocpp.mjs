// Loaded with --import in a benchmark server when BENCH_OCPP_SRC is set:
// imports of packages/ocpp/src go to that folder instead, so that one run
// can measure another version of the OCPP package (for example a copy of
// the committed one) against the same runner, core and load.
import { register } from "node:module";
import { pathToFileURL } from "node:url";

const source = process.env.BENCH_OCPP_SRC;
if (source) {
  const from = new URL("../../packages/ocpp/src/", import.meta.url).href;
  const to = pathToFileURL(source.endsWith("/") ? source : `${source}/`).href;
  register(
    `data:text/javascript,${encodeURIComponent(`
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        return result.url.startsWith(${JSON.stringify(from)})
          ? { ...result, url: ${JSON.stringify(to)} + result.url.slice(${from.length}) }
          : result;
      }`)}`,
  );
}
