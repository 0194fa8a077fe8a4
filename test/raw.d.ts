/** Vite's `?raw` imports: a file's text (e.g. a SQL script the tests run). */
declare module '*?raw' {
  const text: string;
  export default text;
}
