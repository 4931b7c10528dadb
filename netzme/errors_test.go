package netzme

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
)

// TestErrorKinds walks the classification table with the answers the spec
// documents (§2.13, §3.1, §3.2, §3.5, §3.20) and the guessed withdraw codes
// (§3.7), through the same check the client runs on every answer.
func TestErrorKinds(t *testing.T) {
	t.Parallel()
	c := &Client{}
	cases := []struct {
		ep     Endpoint
		status int
		code   string
		want   error
	}{
		{EndpointCreatePIN, 404, "4040020", ErrPINExists},
		{EndpointForgotPIN, 404, "4040025", ErrPINMissing},
		{EndpointForgotPIN, 403, "4030004", ErrTooSoon},
		{EndpointMerchantDetail, 403, "4030818", ErrMerchantInactive},
		{EndpointCreatePIN, 404, "4040008", ErrMerchantInactive},
		{EndpointDeductDepositSplitFee, 403, "4030014", ErrInsufficientFunds},
		{EndpointDeductDepositSplitFee, 409, "4090001", ErrDuplicateReference},
		{EndpointWithdrawProcess, 401, "4014300", ErrPINWrong},
		{EndpointWithdrawDeposit, 401, "4014300", ErrPINWrong},
		{EndpointWithdrawProcess, 403, "4034304", ErrPINBlocked},
		{EndpointWithdrawProcess, 403, "4034314", ErrInsufficientFunds},
		{EndpointWithdrawProcess, 404, "4044313", ErrAmountMismatch},
		{EndpointWithdrawProcess, 403, "4034315", ErrBelowMinimum},
		{EndpointWithdrawProcess, 404, "4044325", ErrPINMissing},
		{EndpointWithdrawInformation, 404, "4040000", ErrNotFound},
		{EndpointInvoiceTransaction, 404, "4041300", ErrNotFound},
		{EndpointBalanceDetail, 401, "4011101", ErrUnauthorized},
		{EndpointBalanceDetail, 401, "4011100", ErrUnauthorized}, // not a PIN outside the withdraw endpoints
		{EndpointCreateInvoiceTransaction, 400, "4004702", ErrInvalidField},
		{EndpointBalanceDetail, 503, "5031100", ErrUnavailable},
	}
	kinds := []error{ErrNotFound, ErrMerchantInactive, ErrPINWrong, ErrPINBlocked, ErrPINExists, ErrPINMissing,
		ErrTooSoon, ErrInsufficientFunds, ErrAmountMismatch, ErrBelowMinimum, ErrDuplicateReference,
		ErrUnauthorized, ErrInvalidField, ErrUnavailable}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s", tc.ep, tc.code), func(t *testing.T) {
			body := fmt.Sprintf(`{"responseCode":%q,"responseMessage":"m"}`, tc.code)
			err := c.check(tc.ep, tc.status, []byte(body), &struct{}{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v is not %v", err, tc.want)
			}
			for _, k := range kinds {
				if k != tc.want && errors.Is(err, k) {
					t.Errorf("%v also matches %v", err, k)
				}
			}
			var api *APIError
			if !errors.As(err, &api) || api.ResponseCode != tc.code {
				t.Errorf("errors.As(*APIError) lost the answer: %v", err)
			}
		})
	}
}

// TestErrorKindsTransport: a refused connection proves nothing left; a
// deadline after sending is a timeout, unknown on a money-moving call.
func TestErrorKindsTransport(t *testing.T) {
	t.Parallel()
	c := &Client{}
	dial := &net.OpError{Op: "dial", Err: errors.New("connection refused")}
	if err := c.transportError(EndpointWithdrawProcess, dial); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("dial failure on a withdrawal = %v, want unavailable and not unknown", err)
	}
	late := fmt.Errorf("read: %w", context.DeadlineExceeded)
	if err := c.transportError(EndpointWithdrawProcess, late); !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrTimeout) {
		t.Errorf("timeout on a withdrawal = %v, want unknown and timeout", err)
	}
	if err := c.transportError(EndpointBalanceDetail, late); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrTimeout) || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("timeout on a balance = %v, want unavailable and timeout", err)
	}
	if err := c.check(EndpointWithdrawProcess, http.StatusInternalServerError, []byte(`{}`), &struct{}{}); !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("500 on a withdrawal = %v, want unknown", err)
	}
	if got := Describe(c.transportError(EndpointWithdrawProcess, late)); got != "timeout" {
		t.Errorf("Describe(timeout) = %q", got)
	}
}
