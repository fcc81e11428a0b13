// Koa 2 is installed under an npm alias; typed as Koa 3 as far as these tests use it.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
