// Module resolve hook for running the workspace's TypeScript sources in a child process with Node's
// type stripping: the sources import "./X.js", which exists as "./X.ts" (the TypeScript convention).
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (error) {
    if (specifier.endsWith(".js") && (specifier.startsWith(".") || specifier.startsWith("/"))) return next(`${specifier.slice(0, -3)}.ts`, context)
    throw error
  }
}
