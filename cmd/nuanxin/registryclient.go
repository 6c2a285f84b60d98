package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// apiClient calls a service's JSON HTTP API with a bearer token.
type apiClient struct {
	base string // e.g. http://127.0.0.1:8081
	http *http.Client
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 30 * time.Second}}
}

// apiError is a non-2xx answer, with the RFC 9457 problem it carried.
type apiError struct {
	Method, Path string
	Status       int
	Problem      problem
}

// problem is the part of an application/problem+json body we use.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	// ExistingWorkerID names the worker already registered with an ID
	// number (409 on POST /v1/workers).
	ExistingWorkerID string `json:"existing_worker_id"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Problem.Detail != "" {
		b.WriteString(": " + e.Problem.Detail)
	}
	for _, f := range e.Problem.Errors {
		fmt.Fprintf(&b, "; %s: %s (%s)", f.Field, f.Message, f.Code)
	}
	return b.String()
}

// isConflict reports whether err is a 409 answer: the thing exists already.
func isConflict(err error) (*apiError, bool) {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		return ae, true
	}
	return nil, false
}

// rawBody is a request body sent as it is (a spreadsheet), not as JSON.
type rawBody struct {
	contentType string
	data        []byte
}

// do sends body (if not nil) as JSON, or as it is for a rawBody, and
// decodes a 2xx answer into out (if not nil).
func (c *apiClient) do(ctx context.Context, token, method, path string, body, out any) error {
	return c.doWith(ctx, token, method, path, body, out)
}

// doWith is do with more request headers, given as name, value pairs.
func (c *apiClient) doWith(ctx context.Context, token, method, path string, body, out any, headers ...string) error {
	var reqBody io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case rawBody:
		reqBody, contentType = bytes.NewReader(b.data), b.contentType
	default:
		j, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		reqBody = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reqBody)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := &apiError{Method: method, Path: path, Status: resp.StatusCode}
		if json.Unmarshal(respBody, &ae.Problem) != nil {
			ae.Problem.Detail = strings.TrimSpace(string(respBody))
		}
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(respBody, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}
