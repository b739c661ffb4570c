/** Thrown when the user cancels a prompt midway; the command wrapper ends the command quietly. */
export class Cancelled extends Error {}
