/**
 * The core API: every core type's spec, in one list.
 */
import { Effect } from "effect"
import type * as Api from "./Api.js"
import * as CacheVolume from "./CacheVolume.js"
import * as Container from "./Container.js"
import * as ContainerConfig from "./ContainerConfig.js"
import * as ContainerFs from "./ContainerFs.js"
import * as EnvVariable from "./EnvVariable.js"
import * as ContainerImage from "./ContainerImage.js"
import * as ContainerSecret from "./ContainerSecret.js"
import * as Directory from "./Directory.js"
import * as DockerBuild from "./DockerBuild.js"
import * as File from "./File.js"
import * as Git from "./Git.js"
import * as Host from "./Host.js"
import * as Http from "./Http.js"
import * as Label from "./Label.js"
import * as Port from "./Port.js"
import * as Query from "./Query.js"
import * as RegistryAuth from "./RegistryAuth.js"
import * as Secret from "./Secret.js"
import * as Service from "./Service.js"
import * as Stat from "./Stat.js"

/**
 * The specs of the core types (Query root fields, Container, Directory, File, Host, scalars, enums).
 *
 * @category constructors
 */
export const specs = Effect.all([Query.make, Container.make, ContainerImage.make, Directory.make, DockerBuild.make, File.make, Host.make, Stat.make, Git.make, Http.make, ContainerConfig.make, ContainerFs.make, EnvVariable.make, Label.make, Port.make, CacheVolume.make, Secret.make, RegistryAuth.make, ContainerSecret.make, Service.make]).pipe(
  Effect.map((xs): ReadonlyArray<Api.ApiSpec> => xs)
)
