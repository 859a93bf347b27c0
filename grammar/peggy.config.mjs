// Compiles the spec grammar into an ES module with type declarations (see `npm run grammar`).
export default {
  input: 'grammar/kinv.peggy',
  output: 'src/dsl/generated/parser.js',
  format: 'es',
  dts: true,
  allowedStartRules: ['Spec', 'Expr'],
  returnTypes: {
    Spec: "import('../ast.js').SpecAst",
    Expr: "import('../ast.js').Expr",
  },
};
