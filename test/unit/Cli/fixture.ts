/**
 * A small schema shaped like a session with module "ci" served: core Host/Directory/File/Container and the module.
 */
import { buildClientSchema, buildSchema, introspectionFromSchema } from "graphql"
import * as TypeInfo from "../../../src/Cli/TypeInfo.js"

export const sdl = `
scalar DirectoryID
scalar FileID
scalar ContainerID
scalar Void
scalar JSON

enum Level { LOW HIGH }

type Query {
  ci: Ci!
  host: Host!
  container: Container!
  moduleSource(refString: String!): ModuleSource!
}

type ModuleSource { moduleName: String!  asModule: Module! }
type Module { serve: Void }

type Host {
  directory(path: String!): Directory!
  file(path: String!): File!
}

"""A directory."""
type Directory {
  id: ID!
  sync: ID!
  "Lists the entries."
  entries(path: String): [String!]!
  "Writes the directory to the host."
  export(path: String!): String!
  "A file in the directory."
  file(path: String!): File!
}

type File {
  id: ID!
  sync: ID!
  contents: String!
  export(path: String!): String!
}

type Container {
  id: ID!
  sync: ID!
  from(address: String!): Container!
  stdout: String!
  export(path: String!): String!
}

"""CI for the greeter library."""
type Ci {
  id: ID!
  """Runs the tests.
  Second line of the description."""
  test("The source directory" source: DirectoryID!): String!
  "Builds the library."
  build(source: DirectoryID!): Directory!
  "Lints."
  lint(source: DirectoryID!, strict: Boolean = false): String!
  "Greets."
  greet("Who" a: String!, times: Int, level: Level, tags: [String!], ratio: Float, data: JSON): [String!]!
  "A container."
  env(source: DirectoryID!, base: ContainerID): Container!
  "Nothing."
  noop: Void
  "Reads a file."
  readFile(file: FileID!): String!
  "Many dirs."
  dirs(count: Int!): [Directory!]!
  "Arguments named like dirk's options."
  flaglike(help: String!, output: String = "o", json: String = "j", mod: String, quiet: Boolean): String!
}
`

export const schema = buildSchema(sdl)

/** The same schema as a client sees it (through introspection). */
export const clientSchema = buildClientSchema(introspectionFromSchema(schema))

export const module: TypeInfo.ModuleSchema = TypeInfo.moduleSchema(clientSchema, "ci")!
