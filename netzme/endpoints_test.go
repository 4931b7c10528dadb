package netzme

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"lapak/internal/clocktest"
	"lapak/snap"
)

// TestEveryEndpoint calls each typed method against the strict fake and
// checks the path, that the body signs and decodes, that no JSON number the
// gateway would re-minify is sent (§2.7), and the decoded result.
func TestEveryEndpoint(t *testing.T) {
	t.Parallel()
	// A merchant's "today" in Jakarta, on the test base date.
	b := clocktest.Base(t).In(snap.Jakarta)
	day := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, snap.Jakarta)
	date := day.Format(time.DateOnly)
	invoiceTrxOK := `{"responseCode":"2004700","responseMessage":"Successful","partnerReferenceNo":"p","payMethod":"BANK_TRANSFER","paymentUrl":"https://checkout-staging.xendit.co/web/6359e0431ee3f73865035d8b","additionalInfo":{"expiredTs":"2022-10-27T08:49:58.511+07:00","id":"NETZ-INV-M_TB1NMLig1666834498914aKh","retailOutletData":[],"trxId":"db451a92-b18f-4bdc-9410-f5482d62d95f","virtualAccountData":[{"bankCode":"MANDIRI","virtualAccountNo":"8860832146006"}],"statistic":[],"status":true}}`
	inquiryOK := `{"responseCode":"2004200","responseMessage":"Successful","partnerReferenceNo":"p","referenceNo":"1c33bef4","beneficiaryAccountName":"Mariya Wise","beneficiaryAccountNumber":"2288996060","beneficiaryBankName":"BTPN SYARIAH","beneficiaryBankCode":"547","amount":{"value":"6003380.00","currency":"IDR"},"additionalInfo":{"amountAllowed":true,"minimumWithdrawalAmount":{"value":"50000.00","currency":"IDR"}}}`
	statusOK := `{"responseCode":"2000000","responseMessage":"Successful","referenceNo":"xplorinsnap60431532","partnerReferenceNo":"xplorinsnap56420519","withdrawalAmount":{"value":"300000.00","currency":"IDR"},"additionalInfo":{"accountHolderName":"Mariya Wise","bankAccountNumber":"1234567890","bankCode":"014","bankName":"BANK BCA","status":"SUCCESS"}}`
	listOK := `{"responseCode":"2001200","responseMessage":"Successful","partnerReferenceNo":"p","referenceNo":"r","detailData":[{"amount":{"value":"10000.00","currency":"IDR"},"status":"SUCCESS","type":"PAYMENT","additionalInfo":{"feeAmount":{"value":"70.00","currency":"IDR"},"invoiceId":"NETZ-INV-1","tsLong":1714636800000}}]}`
	tests := []struct {
		name  string
		path  string
		reply string
		call  func(context.Context, *Client) (any, error)
		check func(t *testing.T, res any, body map[string]any)
	}{
		{"ForgotPIN", "/api/v1.0/merchant/forgot-pin",
			`{"responseCode":"2000000","responseMessage":"Successful","partnerReferenceNo":"p","additionalInfo":{"timeLeftInMillis":300000}}`,
			func(ctx context.Context, c *Client) (any, error) {
				return c.ForgotPIN(ctx, ForgotPINRequest{PartnerReferenceNo: "p", CustIDMerchant: "M_TB1NMLig"})
			},
			func(t *testing.T, res any, body map[string]any) {
				if r := res.(ForgotPINResult); r.Cooldown != 5*time.Minute {
					t.Errorf("cooldown = %v", r.Cooldown)
				}
				if body["additionalInfo"].(map[string]any)["type"] != "forgot_pin" {
					t.Errorf("type = %v", body["additionalInfo"])
				}
			}},
		{"TransactionList", "/api-qris/v2.0/transaction/history-list", listOK,
			func(ctx context.Context, c *Client) (any, error) {
				return c.TransactionList(ctx, TransactionListRequest{PartnerReferenceNo: "p", CustIDMerchant: "M_11t8YAEM", From: day, To: day.Add(24*time.Hour - time.Second)})
			},
			func(t *testing.T, res any, body map[string]any) {
				p := res.(TransactionPage)
				if len(p.Transactions) != 1 || p.Transactions[0].AmountMinor != 1_000_000 || p.Transactions[0].FeeMinor != 7_000 || p.Transactions[0].TsLong != 1714636800000 {
					t.Errorf("page = %+v", p)
				}
				// The entry is kept as Netzme sent it, byte for byte.
				if want := listOK[strings.Index(listOK, `{"amount"`) : len(listOK)-2]; len(p.Transactions) == 1 && string(p.Transactions[0].Raw) != want {
					t.Errorf("raw entry = %s, want %s", p.Transactions[0].Raw, want)
				}
				if body["pageNumber"] != "1" || body["fromDateTime"] != date+"T00:00:00+07:00" || body["toDateTime"] != date+"T23:59:59+07:00" {
					t.Errorf("body = %v", body)
				}
				// §3.4 page: the merchant in additionalInfo, nowhere else.
				if info, _ := body["additionalInfo"].(map[string]any); info["custIdMerchant"] != "M_11t8YAEM" || body["custIdMerchant"] != nil {
					t.Errorf("merchant not where §3.4 documents it: %v", body)
				}
			}},
		{"DepositTransactions", "/api/v1.0/deposit/transaction-history-list", listOK,
			func(ctx context.Context, c *Client) (any, error) {
				return c.DepositTransactions(ctx, TransactionListRequest{PartnerReferenceNo: "p", CustIDMerchant: "M", From: day, To: day, Page: 3})
			},
			func(t *testing.T, res any, body map[string]any) {
				if body["pageNumber"] != "3" {
					t.Errorf("pageNumber = %v", body["pageNumber"])
				}
			}},
		{"MerchantDetail", "/api/v1.0/registration-account-inquiry",
			`{"responseCode":"2000800","responseMessage":"Successful","partnerReferenceNo":"p","referenceNo":"r","accountName":"Toko Contoh","accountNo":"6281234","additionalInfo":{"custIdMerchant":"M_TB1NMLig","clientId":"c","qrStatic":"000201"}}`,
			func(ctx context.Context, c *Client) (any, error) {
				return c.MerchantDetail(ctx, MerchantDetailRequest{PartnerReferenceNo: "p", PhoneNo: "6281234"})
			},
			func(t *testing.T, res any, body map[string]any) {
				if m := res.(MerchantDetail); m.CustIDMerchant != "M_TB1NMLig" || m.AccountName != "Toko Contoh" || m.QRStatic != "000201" {
					t.Errorf("detail = %+v", m)
				}
			}},
		{"WithdrawInquiry", "/api/v1.0/emoney/bank-account-inquiry", inquiryOK,
			func(ctx context.Context, c *Client) (any, error) {
				return c.WithdrawInquiry(ctx, WithdrawInquiryRequest{PartnerReferenceNo: "p", CustIDMerchant: "M_TB1NMLig"})
			},
			func(t *testing.T, res any, body map[string]any) {
				q := res.(WithdrawInquiry)
				if q.AmountMinor != 600_338_000 || !q.AmountAllowed || q.MinimumMinor != 5_000_000 || q.BeneficiaryBankCode != "547" {
					t.Errorf("inquiry = %+v", q)
				}
			}},
		{"WithdrawDepositInquiry", "/api/v1.0/emoney/bank-account-inquiry/deposit", inquiryOK,
			func(ctx context.Context, c *Client) (any, error) {
				return c.WithdrawDepositInquiry(ctx, WithdrawInquiryRequest{PartnerReferenceNo: "p", CustIDMerchant: "M"})
			}, nil},
		{"WithdrawProcess", "/api/v1.0/emoney/transfer-bank",
			`{"responseCode":"2004300","responseMessage":"Successful","partnerReferenceNo":"wd-1","referenceNo":"nz-9"}`,
			func(ctx context.Context, c *Client) (any, error) { return c.WithdrawProcess(ctx, withdrawReq()) },
			func(t *testing.T, res any, body map[string]any) {
				if r := res.(WithdrawResult); r.ReferenceNo != "nz-9" || r.ResponseCode != "2004300" {
					t.Errorf("result = %+v", r)
				}
				if body["amount"].(map[string]any)["value"] != "605368.00" || body["customerNumber"] != "M_TB1NMLig" {
					t.Errorf("body = %v", body)
				}
				if _, ok := body["referenceNo"]; ok {
					t.Error("referenceNo sent on a sales withdrawal")
				}
				info := body["additionalInfo"].(map[string]any)
				if info["type"] != "submit_withdraw" || info["pin"] != PINHash(testClientID, "M_TB1NMLig", "123456") {
					t.Errorf("additionalInfo = %v", info)
				}
			}},
		{"WithdrawDeposit", "/api/v1.0/emoney/transfer-bank/deposit",
			`{"responseCode":"2004300","responseMessage":"Successful","partnerReferenceNo":"wd-1"}`,
			func(ctx context.Context, c *Client) (any, error) { return c.WithdrawDeposit(ctx, withdrawReq()) },
			func(t *testing.T, res any, body map[string]any) {
				if body["referenceNo"] != "inq-1" {
					t.Errorf("referenceNo = %v", body["referenceNo"])
				}
			}},
		{"WithdrawInformation", "/api/v1.0/debit/status", statusOK,
			func(ctx context.Context, c *Client) (any, error) {
				return c.WithdrawInformation(ctx, WithdrawInformationRequest{PartnerReferenceNo: "q", ReferenceNo: "xplorinsnap60431532"})
			},
			func(t *testing.T, res any, body map[string]any) {
				if s := res.(WithdrawStatus); s.Status != "SUCCESS" || s.AmountMinor != 30_000_000 || s.BankCode != "014" || string(s.Raw) != statusOK {
					t.Errorf("status = %+v", s)
				}
			}},
		{"WithdrawDepositInformation", "/api/v1.0/debit/status-deposit", statusOK,
			func(ctx context.Context, c *Client) (any, error) {
				return c.WithdrawDepositInformation(ctx, WithdrawInformationRequest{PartnerReferenceNo: "q", ReferenceNo: "x"})
			}, nil},
		{"QRISAcquireTransaction", "/api-qris/v1.0/transaction-history-detail",
			`{"responseCode":"2001300","responseMessage":"Successful","partnerReferenceNo":"testing20210409144959687","originalPartnerReferenceNo":"4526350408087686","amount":{"value":"100000.00","currency":"IDR"},"mdrAmount":{"value":"0.00","currency":"IDR"},"additionalInfo":{"acquirerId":"93600814","customerName":"NETZ-INV-M_VWXPXk6t166485823684974v 936008140100000314","customerPan":"9360091187569790","invoiceNumber":"01800484160180048416","isOnUs":true}}`,
			func(ctx context.Context, c *Client) (any, error) {
				return c.QRISAcquireTransaction(ctx, QRISAcquireRequest{PartnerReferenceNo: "bertina202405025555555504", ReferenceID: "P9CY11E57GU62024050293600911"})
			},
			func(t *testing.T, res any, body map[string]any) {
				if q := res.(QRISAcquire); q.AmountMinor != 10_000_000 || q.AcquirerID != "93600814" || !q.IsOnUs {
					t.Errorf("acquire = %+v", q)
				}
				if body["originalPartnerReferenceNo"] != "P9CY11E57GU62024050293600911" {
					t.Errorf("body = %v", body)
				}
			}},
		{"CreateInvoice", "/api/v1.0/invoice/create",
			`{"responseCode":"2000000","responseMessage":"Successful","partnerReferenceNo":"p","additionalInfo":{"invoiceId":"NETZ-INV-M_TB1NMLig36136158886034181yS5","status":true}}`,
			func(ctx context.Context, c *Client) (any, error) {
				return c.CreateInvoice(ctx, InvoiceRequest{PartnerReferenceNo: "p", CustIDMerchant: "M_TB1NMLig", AmountMinor: 5_900_000, ShippingMinor: 900_000})
			},
			func(t *testing.T, res any, body map[string]any) {
				if inv := res.(Invoice); inv.InvoiceID != "NETZ-INV-M_TB1NMLig36136158886034181yS5" {
					t.Errorf("invoice = %+v", inv)
				}
				d := body["amountDetail"].(map[string]any)
				if d["basicAmount"].(map[string]any)["value"] != "50000.00" || d["shippingAmount"].(map[string]any)["value"] != "9000.00" {
					t.Errorf("amountDetail = %v", d)
				}
			}},
		{"CreateInvoiceTransaction", "/api/v1.0/invoice/create-transaction", invoiceTrxOK,
			func(ctx context.Context, c *Client) (any, error) {
				return c.CreateInvoiceTransaction(ctx, InvoiceTransactionRequest{PartnerReferenceNo: "p", CustIDMerchant: "M_TB1NMLig", AmountMinor: 5_000_000, PayMethod: PayBankTransfer, ExpireIn: 10 * time.Minute})
			},
			func(t *testing.T, res any, body map[string]any) {
				r := res.(InvoiceTransaction)
				if r.TrxID != "db451a92-b18f-4bdc-9410-f5482d62d95f" || len(r.VirtualAccounts) != 1 || r.ExpiresAt.IsZero() {
					t.Errorf("trx = %+v", r)
				}
				if body["expireInSecond"] != "600" || body["commissionPercentage"] != "0" || body["feeType"] != "on_seller" {
					t.Errorf("body = %v", body)
				}
				if _, ok := body["additionalInfo"].(map[string]any)["apiSource"]; ok {
					t.Error("apiSource sent on a normal transaction")
				}
			}},
		{"TopupDeposit", "/api/v1.0/invoice/create-transaction", invoiceTrxOK,
			func(ctx context.Context, c *Client) (any, error) {
				return c.TopupDeposit(ctx, InvoiceTransactionRequest{PartnerReferenceNo: "p", CustIDMerchant: "M", AmountMinor: 5_000_000, PayMethod: PayBankTransfer})
			},
			func(t *testing.T, res any, body map[string]any) {
				if body["additionalInfo"].(map[string]any)["apiSource"] != "topup_deposit" {
					t.Errorf("additionalInfo = %v", body["additionalInfo"])
				}
			}},
		{"InvoiceTransaction", "/api-invoice/v1.0/transaction-history-detail",
			`{"responseCode":"2001300","responseMessage":"Successful","partnerReferenceNo":"q","referenceNo":"t1","amount":"50000.00","type":"PAYMENT","status":"SUCCESS","additionalInfo":{"feeAmount":{"value":"350.00","currency":"IDR"},"amountLong":50000,"invoiceStatus":"paid"}}`,
			func(ctx context.Context, c *Client) (any, error) {
				return c.InvoiceTransaction(ctx, InvoiceTransactionQuery{PartnerReferenceNo: "q", TrxID: "t1"})
			},
			func(t *testing.T, res any, body map[string]any) {
				s := res.(InvoiceTransactionStatus)
				if !s.Paid() || s.AmountMinor != 5_000_000 || s.FeeMinor != 35_000 || s.InvoiceStatus != "paid" {
					t.Errorf("status = %+v", s)
				}
			}},
		{"DeductDepositSplitFee", "/api/v1.0/merchant/payment-notif",
			`{"responseCode":"2000000","responseMessage":"Successful","partnerReferenceNo":"bertina202405022222222204","referenceNo":"bertina20240502154210004","additionalInfo":{"type":"payment_notification_to_split_fee"}}`,
			func(ctx context.Context, c *Client) (any, error) {
				return c.DeductDepositSplitFee(ctx, DeductDepositRequest{ReferenceNo: "bertina20240502154210004", PartnerReferenceNo: "bertina202405022222222204",
					CustIDMerchant: "M_11t8YAEM", AmountMinor: 2_000_000, FeeMinor: 1_000_000, SKU: "abc", ProductName: "Test",
					PayMethod: "BANK_TRANSFER", BankName: "BCA", Qty: 2, Desc: "beli 2 tiket"})
			},
			func(t *testing.T, res any, body map[string]any) {
				info := body["additionalInfo"].(map[string]any)
				if info["paymentStatus"] != "SUCCESS" || info["qty"] != "2" || info["type"] != "payment_notification_to_split_fee" {
					t.Errorf("additionalInfo = %v", info)
				}
				if body["feeAmount"].(map[string]any)["value"] != "10000.00" {
					t.Errorf("feeAmount = %v", body["feeAmount"])
				}
			}},
	}
	covered := map[string]bool{"CreatePIN": true, "BalanceDetail": true, "DepositBalance": true} // tested in client_test.go
	for _, tt := range tests {
		covered[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.handle(tt.path[:strings.IndexByte(tt.path+"?", '?')], func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tt.reply) })
			res, err := tt.call(t.Context(), f.client(t))
			if err != nil {
				t.Fatal(err)
			}
			reqs := f.served(tt.path)
			if len(reqs) != 1 {
				t.Fatalf("%d requests to %s", len(reqs), tt.path)
			}
			body := decodeBody(t, reqs[0].Body)
			assertNoRiskyNumbers(t, "", body)
			if tt.check != nil {
				tt.check(t, res, body)
			}
		})
	}
	if n := len(Endpoints()); n != 20 {
		t.Errorf("Endpoints() has %d entries, want token + 19 methods", n)
	}
	for _, m := range []string{"CreatePIN", "ForgotPIN", "BalanceDetail", "TransactionList", "MerchantDetail", "WithdrawInquiry",
		"WithdrawProcess", "WithdrawInformation", "QRISAcquireTransaction", "CreateInvoice", "CreateInvoiceTransaction",
		"InvoiceTransaction", "DeductDepositSplitFee", "TopupDeposit", "WithdrawDepositInquiry", "WithdrawDeposit",
		"WithdrawDepositInformation", "DepositTransactions", "DepositBalance"} {
		if !covered[m] {
			t.Errorf("method %s has no wire test", m)
		}
	}
}

// assertNoRiskyNumbers fails on any JSON number whose tdewolff-minified form
// would differ from what we sent (§2.7): only small integers without
// trailing zeros (0..100 here) are allowed.
func assertNoRiskyNumbers(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			assertNoRiskyNumbers(t, path+"."+k, e)
		}
	case []any:
		for _, e := range x {
			assertNoRiskyNumbers(t, path+"[]", e)
		}
	case json.Number:
		n, err := x.Int64()
		if err != nil || n < 0 || n > 100 || strings.HasSuffix(x.String(), "000") {
			t.Errorf("%s is the JSON number %s; Netzme's gateway would re-minify it", path, x)
		}
	}
}

func TestCreateInvoiceTransactionRejectsBadInput(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := f.client(t)
	for _, in := range []InvoiceTransactionRequest{
		{PartnerReferenceNo: "p", AmountMinor: 0, PayMethod: PayQRIS},
		{PartnerReferenceNo: "p", AmountMinor: 100, ShippingMinor: 200, PayMethod: PayQRIS},
		{PartnerReferenceNo: "p", AmountMinor: 100},
	} {
		if _, err := c.CreateInvoiceTransaction(t.Context(), in); err == nil || errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("%+v: err = %v", in, err)
		}
	}
	if n := f.tokenFetch.Load(); n != 0 {
		t.Errorf("invalid input reached the network (%d token fetches)", n)
	}
}

func TestSuccessCodeWithStatusFalseIsUnknown(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.handle("/api/v1.0/invoice/create-transaction", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"responseCode":"2004700","responseMessage":"Successful","additionalInfo":{"status":false}}`)
	})
	_, err := f.client(t).CreateInvoiceTransaction(t.Context(), InvoiceTransactionRequest{PartnerReferenceNo: "p", CustIDMerchant: "M", AmountMinor: 100, PayMethod: PayQRIS})
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err = %v", err)
	}
}

func TestPathAndVersionOverrides(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	emptyList := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"responseCode":"2001200","responseMessage":"Successful","detailData":[]}`)
	}
	f.handle("/api/v1.0/transaction/history-list", emptyList)
	f.handle("/api/v3.0/transaction/history-list", emptyList)
	f.handle("/x/history", emptyList)
	f.handle("/api-invoice/v2.0/transaction-history-detail", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"responseCode":"2001300","responseMessage":"Successful","status":"INIT"}`)
	})
	list := func(c *Client) {
		t.Helper()
		if _, err := c.TransactionList(t.Context(), TransactionListRequest{PartnerReferenceNo: "p", CustIDMerchant: "M_QA"}); err != nil {
			t.Fatal(err)
		}
	}
	// §3.4 QA variant: its path and version, the merchant at the top level.
	list(f.client(t, func(cfg *Config) { cfg.TransactionList = TransactionListQA }))
	reqs := f.served("/api/v1.0/transaction/history-list")
	if len(reqs) != 1 {
		t.Fatalf("QA variant: %d requests to /api/v1.0/transaction/history-list", len(reqs))
	}
	if body := decodeBody(t, reqs[0].Body); body["custIdMerchant"] != "M_QA" || body["additionalInfo"] != nil {
		t.Errorf("QA variant body = %v, want custIdMerchant at the top level only", body)
	}
	// Versions and Paths still win over the variant's defaults.
	list(f.client(t, func(cfg *Config) {
		cfg.TransactionList = TransactionListQA
		cfg.Versions = map[Endpoint]string{EndpointTransactionList: "v3.0"}
	}))
	list(f.client(t, func(cfg *Config) { cfg.Paths = map[Endpoint]string{EndpointTransactionList: "/x/history"} }))
	if len(f.served("/api/v3.0/transaction/history-list")) != 1 || len(f.served("/x/history")) != 1 {
		t.Error("Versions / Paths override ignored")
	}

	c := f.client(t, func(cfg *Config) {
		cfg.Versions = map[Endpoint]string{EndpointInvoiceTransaction: "v2.0"} // §3.14 doc variant
	})
	if s, err := c.InvoiceTransaction(t.Context(), InvoiceTransactionQuery{PartnerReferenceNo: "q", TrxID: "t"}); err != nil || s.Status != InvoiceInit {
		t.Fatal(s, err)
	}
	if EndpointCreatePIN.Path("") != "/api/v1.0/merchant/create-pin" || EndpointToken.Path("") != "/api/v1/access-token/b2b" ||
		EndpointTransactionList.Path("") != "/api-qris/v2.0/transaction/history-list" ||
		!EndpointWithdrawDeposit.MovesMoney() || EndpointBalanceDetail.MovesMoney() {
		t.Error("endpoint metadata wrong")
	}
}

func TestParseTransactionListVariant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want TransactionListVariant
		ok   bool
	}{
		{"", TransactionListDocumented, true},
		{"documented", TransactionListDocumented, true},
		{"qa", TransactionListQA, true},
		{"QA", "", false},
		{"v1.0", "", false},
	} {
		got, err := ParseTransactionListVariant(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("%q = %q, %v; want %q (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
	cfg := Config{BaseURL: "http://x", ClientID: "c", ClientSecret: "s", PrivateKey: key2048(t), TransactionList: "qa-v2"}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "TransactionList") {
		t.Errorf("New with an unknown variant: %v", err)
	}
}
