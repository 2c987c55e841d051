/** What a test sees of an HTTP answer. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  key?: string;
  query?: Record<string, string | string[]>;
  body?: unknown;
  /** A raw body, sent as it is (e.g. malformed JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A small client over the real HTTP server: nothing is mocked between the test and the socket. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) {
        url.searchParams.append(name, item);
      }
    }
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) {
      headers['x-api-key'] = options.key;
    }
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    // URL() re-encodes some characters; build the final string so the path stays exactly as given.
    const target = `${this.baseUrl}${path.split('?')[0]}${url.search}`;
    const response = await fetch(target, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
      parsed = JSON.parse(text);
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('POST', path, options);
  }

  put<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('PUT', path, options);
  }

  patch<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('PATCH', path, options);
  }

  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}
