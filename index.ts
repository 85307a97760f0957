// Entry point of `pulumi up`: the stack outputs are what `main` resolves to.
import { main } from "./stacks/main";

export = main();
